#include "access/poll_http_connection.h"

#include <array>

#include "client.pb.h"
#include "common/frame_codec.h"
#include "common/logging.h"
#include "common/str_cat.h"

namespace im::access {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;

namespace {

constexpr std::size_t kHeaderLimit = 8 * 1024;
constexpr std::chrono::seconds kLingerTime{2};

std::shared_ptr<spdlog::logger> Log() {
  static auto log = common::GetLogger("access");
  return log;
}

std::string_view View(boost::beast::string_view s) { return {s.data(), s.size()}; }

// The token of "Authorization: Bearer TOKEN", or "" without one.
std::string_view BearerToken(const http::request<http::string_body>& request) {
  const std::string_view value = View(request[http::field::authorization]);
  constexpr std::string_view kScheme = "Bearer ";
  if (value.size() <= kScheme.size() || value.substr(0, kScheme.size()) != kScheme) return {};
  std::string_view token = value.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

PollHttpConnection::Status HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      return http::status::gone;
    case absl::StatusCode::kAlreadyExists:
      return http::status::conflict;
    case absl::StatusCode::kResourceExhausted:
      return http::status::too_many_requests;
    default:
      return http::status::internal_server_error;
  }
}

}  // namespace

PollHttpConnection::PollHttpConnection(Socket socket, const PollEndpointOptions& options,
                                       PollSessions* sessions)
    : stream_(std::move(socket), options.tls),
      options_(options),
      sessions_(sessions),
      timer_(stream_.get_executor()) {
  error_code ec;
  const auto peer = stream_.socket().remote_endpoint(ec);
  if (!ec) {
    peer_ = peer.address().to_string();
    if (peer.address().is_v6()) {
      const auto bytes = peer.address().to_v6().to_bytes();
      peer_key_ = ConnectionRegistry::KeyOf(bytes.data(), bytes.size());
    } else {
      const auto bytes = peer.address().to_v4().to_bytes();
      peer_key_ = ConnectionRegistry::KeyOf(bytes.data(), bytes.size());
    }
  }
}

template <typename Fn>
void PollHttpConnection::OnOwnThread(Fn fn) {
  asio::post(stream_.get_executor(), [self = shared_from_this(), fn = std::move(fn)]() mutable {
    if (self->state_ != State::kClosed) fn();
  });
}

void PollHttpConnection::Start() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    self->stream_.Prepare();
    if (absl::Status admitted = self->sessions_->registry()->Reserve(self->peer_key_);
        !admitted.ok()) {
      Log()->warn("event=refused peer={} error=\"{}\"", self->peer_, admitted.message());
      if (self->stream_.is_tls()) return self->Close();  // no handshake: closed without a word
      self->keep_alive_ = false;
      return self->Refuse(http::status::service_unavailable, std::string(admitted.message()));
    }
    self->counted_ = true;
    self->ArmDeadline(self->options_.handshake_timeout);
    self->stream_.Handshake([self](const error_code& ec) {
      if (self->state_ == State::kClosed) return;
      if (ec) return self->Close();
      self->state_ = State::kReading;
      self->ArmDeadline(self->options_.request_timeout);
      self->Receive();
    });
  });
}

void PollHttpConnection::Receive() {
  if (reading_ || state_ == State::kClosed) return;
  reading_ = true;
  stream_.Read([self = shared_from_this()](const error_code& ec, std::string_view bytes) {
    self->reading_ = false;
    self->OnBytes(ec, bytes);
  });
}

void PollHttpConnection::OnBytes(const error_code& ec, std::string_view bytes) {
  if (state_ == State::kClosed) return;
  if (ec) {
    // The client went away. A poll it was holding ends; its frames stay for the next one.
    if (polling_) polling_->EndPoll(poll_ticket_);
    return Close();
  }
  if (state_ == State::kLingering) return Receive();  // discarded
  in_.append(bytes);
  if (in_.size() > kHeaderLimit + options_.max_body_bytes + 1024) {
    return Close();  // pipelined far past what one request may be
  }
  if (state_ == State::kReading) return ParseRequest();
  // Bytes behind a request still being answered (pipelined), or the next
  // one: parsed once it is answered. Reading goes on while a poll is held,
  // so a client that leaves is noticed.
  if (state_ == State::kPolling) Receive();
}

void PollHttpConnection::ParseRequest() {
  http::request_parser<http::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(options_.max_body_bytes);
  parser.eager(true);
  error_code ec;
  std::size_t used = 0;
  while (!parser.is_done() && used < in_.size()) {
    const std::size_t n = parser.put(asio::buffer(in_.data() + used, in_.size() - used), ec);
    used += n;
    if (ec || n == 0) break;
  }
  if (ec == http::error::need_more || (!ec && !parser.is_done())) {
    return Receive();  // the rest of the request is still to come
  }
  keep_alive_ = !ec && parser.keep_alive();
  if (ec == http::error::body_limit) {
    keep_alive_ = false;
    return Refuse(http::status::payload_too_large,
                  common::StrCat("the body is over ", options_.max_body_bytes, " bytes"));
  }
  if (ec == http::error::header_limit) {
    keep_alive_ = false;
    return Refuse(http::status::request_header_fields_too_large,
                  common::StrCat("the header is over ", kHeaderLimit, " bytes"));
  }
  if (ec) {
    keep_alive_ = false;
    return Refuse(http::status::bad_request, common::StrCat("malformed HTTP: ", ec.message()));
  }
  in_.erase(0, used);
  if (in_.empty()) std::string().swap(in_);  // hold no buffer between requests
  Handle(parser.get());
}

void PollHttpConnection::Handle(const http::request<http::string_body>& request) {
  const std::string_view target = View(request.target());
  const std::string_view path = target.substr(0, target.find('?'));
  const std::string& base = options_.path;
  const std::string_view action = path.size() > base.size() && path.substr(0, base.size()) == base &&
                                          path[base.size()] == '/'
                                      ? path.substr(base.size() + 1)
                                      : std::string_view();
  const bool is_get = request.method() == http::verb::get;
  const bool is_post = request.method() == http::verb::post;
  if (action != "login" && action != "request" && action != "events" && action != "close") {
    return Refuse(http::status::not_found,
                  common::StrCat("no long-poll endpoint at this path: POST ", base, "/login, POST ",
                                 base, "/request, GET ", base, "/events, POST ", base, "/close"));
  }
  if ((action == "events" && !is_get) || (action != "events" && !is_post)) {
    const char* allowed = action == "events" ? "GET" : "POST";
    return Refuse(http::status::method_not_allowed, common::StrCat(path, " takes ", allowed),
                  common::StrCat("Allow: ", allowed, "\r\n"));
  }
  // The frame of a login or request.
  std::uint64_t req_id = 0;
  if (action == "login" || action == "request") {
    client::ClientFrame frame;
    if (request.body().empty() ||
        !frame.ParseFromArray(request.body().data(), static_cast<int>(request.body().size()))) {
      return Refuse(http::status::bad_request,
                    "the body must be one ClientFrame (its protobuf bytes, no length in front)");
    }
    if (frame.req_id() == 0) {
      return Refuse(http::status::bad_request,
                    "the frame needs a req_id (unique among your requests in flight)");
    }
    req_id = frame.req_id();
    if (action == "login") return Login(request.body(), req_id);
  }
  const std::string_view token = BearerToken(request);
  if (token.empty()) {
    return Refuse(http::status::unauthorized,
                  common::StrCat("send Authorization: Bearer TOKEN, the session_token that your "
                                 "login at ",
                                 base, "/login answered"),
                  "WWW-Authenticate: Bearer\r\n");
  }
  std::shared_ptr<PollMailbox> mailbox = sessions_->Find(std::string(token));
  if (!mailbox) {
    return Refuse(http::status::unauthorized,
                  common::StrCat("no session with this token on this server: log in again at ",
                                 base, "/login"),
                  "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n");
  }
  if (action == "request") return Submit(mailbox, request.body(), req_id);
  if (action == "events") return StartPoll(std::move(mailbox));
  mailbox->Hangup();  // close
  Respond(http::status::no_content, "", "");
}

void PollHttpConnection::Login(std::string frame, std::uint64_t req_id) {
  auto opened = sessions_->Open(stream_.get_executor(), peer_, peer_key_);
  if (!opened.ok()) return Refuse(http::status::service_unavailable, std::string(opened.status().message()));
  std::shared_ptr<PollMailbox> mailbox = std::move(*opened);
  state_ = State::kAnswering;
  timer_.cancel();  // the Connection answers every request (logic calls have deadlines)
  mailbox->Submit(std::move(frame), req_id,
                  [self = shared_from_this(), mailbox](absl::StatusOr<std::string> frames) {
                    // On the mailbox's thread: bind before anything else may use the token.
                    bool bound = false;
                    if (frames.ok()) {
                      std::string_view rest = *frames;
                      common::FrameDecoder decoder(rest.size() + 1);
                      decoder.Append(rest).IgnoreError();
                      while (auto body = decoder.Next()) {
                        client::ServerFrame answer;
                        if (answer.ParseFromArray(body->data(), static_cast<int>(body->size())) &&
                            answer.status().code() == 0 && answer.has_login() &&
                            !answer.login().session_token().empty()) {
                          self->sessions_->Bind(answer.login().session_token(), mailbox);
                          bound = true;
                        }
                      }
                    }
                    if (!bound) mailbox->Hangup();  // a register, or a refused login
                    self->OnOwnThread([self, frames = std::move(frames)]() mutable {
                      self->OnAnswer(std::move(frames));
                    });
                  });
}

void PollHttpConnection::Submit(const std::shared_ptr<PollMailbox>& mailbox, std::string frame,
                                std::uint64_t req_id) {
  state_ = State::kAnswering;
  timer_.cancel();
  mailbox->Submit(std::move(frame), req_id,
                  [self = shared_from_this()](absl::StatusOr<std::string> frames) {
                    self->OnOwnThread([self, frames = std::move(frames)]() mutable {
                      self->OnAnswer(std::move(frames));
                    });
                  });
}

void PollHttpConnection::StartPoll(std::shared_ptr<PollMailbox> mailbox) {
  state_ = State::kPolling;
  polling_ = std::move(mailbox);
  const std::uint64_t ticket = ++poll_ticket_;
  ArmDeadline(options_.poll_timeout);
  polling_->Poll(ticket, [self = shared_from_this(), ticket,
                          mailbox = polling_](absl::StatusOr<std::string> frames) {
    asio::post(self->stream_.get_executor(), [self, ticket, mailbox,
                                              frames = std::move(frames)]() mutable {
      if (self->state_ != State::kPolling || self->poll_ticket_ != ticket) {
        // This connection is gone: frames handed to it would be lost, so the
        // session ends, and the client logs in again and syncs.
        if (frames.ok() && !frames->empty()) mailbox->Hangup();
        return;
      }
      // polling_ stays until the answer is written: frames that cannot be end the session.
      self->poll_has_frames_ = frames.ok() && !frames->empty();
      self->OnAnswer(std::move(frames));
    });
  });
  Receive();
}

void PollHttpConnection::OnAnswer(absl::StatusOr<std::string> frames) {
  if (!frames.ok()) {
    return Refuse(HttpStatusOf(frames.status()), std::string(frames.status().message()));
  }
  Respond(http::status::ok, "application/octet-stream", std::move(*frames));
}

void PollHttpConnection::Refuse(Status status, std::string_view message,
                                std::string_view extra_headers) {
  Log()->debug("event=poll_refused status={} error=\"{}\"", static_cast<int>(status), message);
  Respond(status, "text/plain; charset=utf-8", common::StrCat(message, "\n"), extra_headers);
}

void PollHttpConnection::Respond(Status status, std::string_view content_type, std::string body,
                                 std::string_view extra_headers) {
  if (state_ == State::kClosed) return;
  const auto reason = http::obsolete_reason(status);
  out_ = common::StrCat("HTTP/1.1 ", static_cast<int>(status), " ", View(reason), "\r\n");
  if (!content_type.empty()) out_ += common::StrCat("Content-Type: ", content_type, "\r\n");
  if (status != http::status::no_content) {
    out_ += common::StrCat("Content-Length: ", body.size(), "\r\n");
  }
  out_ += "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n";
  out_ += extra_headers;
  if (!keep_alive_) out_ += "Connection: close\r\n";
  out_ += "\r\n";
  out_ += body;
  state_ = State::kWriting;
  ArmDeadline(options_.request_timeout);
  std::array<asio::const_buffer, 1> buffers{asio::buffer(out_)};
  stream_.Write(buffers, [self = shared_from_this()](const error_code& ec, std::size_t) {
    self->OnWritten(ec);
  });
}

void PollHttpConnection::OnWritten(const error_code& ec) {
  if (state_ == State::kClosed) return;
  std::string().swap(out_);
  if (ec) return Close();  // which ends the session if this carried its frames
  poll_has_frames_ = false;
  polling_.reset();
  if (!keep_alive_) return Linger();
  state_ = State::kReading;
  ArmDeadline(options_.request_timeout);
  if (!in_.empty()) return ParseRequest();
  Receive();
}

void PollHttpConnection::Linger() {
  if (stream_.is_tls()) return Close();
  error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  state_ = State::kLingering;
  std::string().swap(in_);
  ArmDeadline(kLingerTime);
  Receive();
}

void PollHttpConnection::ArmDeadline(std::chrono::milliseconds after) {
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (!ec) self->OnDeadline();
  });
}

void PollHttpConnection::OnDeadline() {
  if (state_ == State::kPolling && polling_) {
    polling_->EndPoll(poll_ticket_);  // answered with nothing
    return;
  }
  if (state_ != State::kAnswering && state_ != State::kClosed) Close();
}

void PollHttpConnection::Close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  if (std::exchange(counted_, false)) sessions_->registry()->Release(peer_key_);
  timer_.cancel();
  stream_.Close();
  if (polling_ && poll_has_frames_) {
    // Polled frames were handed to this connection and not written: the
    // client logs in again and syncs, as after a lost TCP connection.
    Log()->info("event=poll_answer_lost peer={}", peer_);
    polling_->Hangup();
  }
  polling_.reset();
}

}  // namespace im::access
