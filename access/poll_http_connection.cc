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

// "login", "request", "events" or "close" for PATH/<that> (any query
// aside), else "".
std::string_view ActionOf(const http::request<http::string_body>& request,
                          const std::string& base) {
  const std::string_view target = View(request.target());
  const std::string_view path = target.substr(0, target.find('?'));
  if (path.size() <= base.size() + 1 || path.substr(0, base.size()) != base ||
      path[base.size()] != '/') {
    return {};
  }
  return path.substr(base.size() + 1);
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
    peer_key_ = ConnectionRegistry::KeyOf(peer.address());
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
      self->state_ = State::kOpen;
      self->last_request_ = true;
      return self->Refuse(self->NewSlot(true), http::status::service_unavailable,
                          std::string(admitted.message()));
    }
    self->counted_ = true;
    self->ArmDeadline(self->options_.handshake_timeout);
    self->stream_.Handshake([self](const error_code& ec) {
      if (self->state_ == State::kClosed) return;
      if (ec) return self->Close();
      self->state_ = State::kOpen;
      self->ArmDeadline(self->options_.request_timeout);
      self->Receive();
    });
  });
}

void PollHttpConnection::Receive() {
  if (reading_ || peer_done_ || state_ == State::kClosed || state_ == State::kHandshake) return;
  if (in_.size() >= kHeaderLimit + options_.max_body_bytes + 1024) return;  // parse some first
  reading_ = true;
  stream_.Read([self = shared_from_this()](const error_code& ec, std::string_view bytes) {
    self->reading_ = false;
    self->OnBytes(ec, bytes);
  });
}

void PollHttpConnection::OnBytes(const error_code& ec, std::string_view bytes) {
  if (state_ == State::kClosed) return;
  if (state_ == State::kLingering) return ec ? Close() : Receive();  // discarded
  if (ec == asio::error::eof && !poll_slot_ && !slots_.empty()) {
    // The client sent its last request and shut down its side: it still
    // gets the answers owed (and those of the requests already received),
    // then the connection closes.
    peer_done_ = true;
    return;
  }
  // The client went away: a poll it was holding ends, and its frames stay for the next one.
  if (ec) return Close();
  in_.append(bytes);
  HandleRequests();
  Receive();  // also while a poll is held, to hear of a client that leaves
}

void PollHttpConnection::HandleRequests() {
  while (state_ == State::kOpen) {
    if (deferred_) {  // an exclusive request, once everything before it is answered
      if (!slots_.empty()) return;
      std::unique_ptr<Request> request = std::move(deferred_);
      Handle(*request);
      continue;
    }
    if (last_request_ || slots_.size() >= kMaxPipelined) return;
    if (!slots_.empty() && slots_.back()->exclusive) return;
    std::unique_ptr<Request> request = NextRequest();
    if (!request) return;
    if (!slots_.empty() && ActionOf(*request, options_.path) != "request") {
      deferred_ = std::move(request);
      return;
    }
    Handle(*request);
  }
}

std::unique_ptr<PollHttpConnection::Request> PollHttpConnection::NextRequest() {
  if (in_.empty()) return nullptr;  // (a parser only once bytes came: none is held while idle)
  if (!parser_) {
    parser_ = std::make_unique<http::request_parser<http::string_body>>();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(options_.max_body_bytes);
    parser_->eager(true);
  }
  error_code ec;
  while (!parser_->is_done() && !in_.empty()) {
    const std::size_t used = parser_->put(asio::buffer(in_), ec);
    in_.erase(0, used);
    if (ec == http::error::need_more) {
      ec = {};
      break;
    }
    if (ec || used == 0) break;
  }
  if (in_.empty()) std::string().swap(in_);  // hold no buffer between requests
  if (!ec && !parser_->is_done()) return nullptr;  // the rest is still to come
  if (ec) {
    parser_.reset();
    last_request_ = true;
    Slot* slot = NewSlot(true);
    if (ec == http::error::body_limit) {
      Refuse(slot, http::status::payload_too_large,
             common::StrCat("the body is over ", options_.max_body_bytes, " bytes"));
    } else if (ec == http::error::header_limit) {
      Refuse(slot, http::status::request_header_fields_too_large,
             common::StrCat("the header is over ", kHeaderLimit, " bytes"));
    } else {
      Refuse(slot, http::status::bad_request, common::StrCat("malformed HTTP: ", ec.message()));
    }
    return nullptr;
  }
  auto request = std::make_unique<Request>(parser_->release());
  parser_.reset();
  if (!request->keep_alive()) last_request_ = true;
  return request;
}

void PollHttpConnection::Handle(const Request& request) {
  const std::string& base = options_.path;
  const std::string_view action = ActionOf(request, base);
  const bool is_get = request.method() == http::verb::get;
  const bool is_post = request.method() == http::verb::post;
  Slot* slot = NewSlot(/*exclusive=*/action != "request");
  if (action != "login" && action != "request" && action != "events" && action != "close") {
    return Refuse(slot, http::status::not_found,
                  common::StrCat("no long-poll endpoint at this path: POST ", base, "/login, POST ",
                                 base, "/request, GET ", base, "/events, POST ", base, "/close"));
  }
  if ((action == "events" && !is_get) || (action != "events" && !is_post)) {
    const char* allowed = action == "events" ? "GET" : "POST";
    return Refuse(slot, http::status::method_not_allowed,
                  common::StrCat(View(request.target()), " takes ", allowed),
                  common::StrCat("Allow: ", allowed, "\r\n"));
  }
  // The frame of a login or request.
  std::uint64_t req_id = 0;
  if (action == "login" || action == "request") {
    client::ClientFrame frame;
    if (request.body().empty() ||
        !frame.ParseFromArray(request.body().data(), static_cast<int>(request.body().size()))) {
      return Refuse(slot, http::status::bad_request,
                    "the body must be one ClientFrame (its protobuf bytes, no length in front)");
    }
    if (frame.req_id() == 0) {
      return Refuse(slot, http::status::bad_request,
                    "the frame needs a req_id (unique among your requests in flight)");
    }
    req_id = frame.req_id();
    if (action == "login") return Login(slot, request.body(), req_id);
  }
  const std::string_view token = BearerToken(request);
  if (token.empty()) {
    return Refuse(slot, http::status::unauthorized,
                  common::StrCat("send Authorization: Bearer TOKEN, the session_token that your "
                                 "login at ",
                                 base, "/login answered"),
                  "WWW-Authenticate: Bearer\r\n");
  }
  std::shared_ptr<PollMailbox> mailbox = sessions_->Find(std::string(token));
  if (!mailbox) {
    return Refuse(slot, http::status::unauthorized,
                  common::StrCat("no session with this token on this server: log in again at ",
                                 base, "/login"),
                  "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n");
  }
  if (action == "request") return Submit(slot, mailbox, request.body(), req_id);
  if (action == "events") return StartPoll(slot, std::move(mailbox));
  mailbox->Hangup();  // close
  Respond(slot, http::status::no_content, "", "");
}

PollHttpConnection::Slot* PollHttpConnection::NewSlot(bool exclusive) {
  slots_.push_back(std::make_unique<Slot>());
  slots_.back()->exclusive = exclusive;
  return slots_.back().get();
}

void PollHttpConnection::Login(Slot* slot, std::string frame, std::uint64_t req_id) {
  auto opened = sessions_->Open(stream_.get_executor(), peer_, peer_key_);
  if (!opened.ok()) {
    return Refuse(slot, http::status::service_unavailable, std::string(opened.status().message()));
  }
  std::shared_ptr<PollMailbox> mailbox = std::move(*opened);
  mailbox->Submit(std::move(frame), req_id,
                  [self = shared_from_this(), slot, mailbox](absl::StatusOr<std::string> frames) {
                    // On the mailbox's thread: bind before anything else may use the token.
                    bool bound = false;
                    if (frames.ok()) {
                      common::FrameDecoder decoder(frames->size() + 1);
                      decoder.Append(*frames).IgnoreError();
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
                    self->OnOwnThread([self, slot, frames = std::move(frames)]() mutable {
                      self->Answer(slot, std::move(frames));
                    });
                  });
}

void PollHttpConnection::Submit(Slot* slot, const std::shared_ptr<PollMailbox>& mailbox,
                                std::string frame, std::uint64_t req_id) {
  mailbox->Submit(std::move(frame), req_id,
                  [self = shared_from_this(), slot](absl::StatusOr<std::string> frames) {
                    self->OnOwnThread([self, slot, frames = std::move(frames)]() mutable {
                      self->Answer(slot, std::move(frames));
                    });
                  });
}

void PollHttpConnection::StartPoll(Slot* slot, std::shared_ptr<PollMailbox> mailbox) {
  poll_slot_ = slot;
  polling_ = std::move(mailbox);
  const std::uint64_t ticket = ++poll_ticket_;
  ArmDeadline(options_.poll_timeout);
  polling_->Poll(ticket, [self = shared_from_this(), ticket, slot,
                          mailbox = polling_](absl::StatusOr<std::string> frames) {
    asio::post(self->stream_.get_executor(), [self, ticket, slot, mailbox,
                                              frames = std::move(frames)]() mutable {
      const bool has_frames = frames.ok() && !frames->empty();
      if (self->state_ == State::kClosed || self->poll_slot_ != slot ||
          self->poll_ticket_ != ticket) {
        // This connection is gone: frames handed to it would be lost, so the
        // session ends, and the client logs in again and syncs.
        if (has_frames) mailbox->Hangup();
        return;
      }
      self->poll_slot_ = nullptr;
      self->polling_.reset();
      if (has_frames) slot->polled_from = mailbox;
      self->Answer(slot, std::move(frames));
    });
  });
}

void PollHttpConnection::Answer(Slot* slot, absl::StatusOr<std::string> frames) {
  if (!frames.ok()) {
    return Refuse(slot, HttpStatusOf(frames.status()), std::string(frames.status().message()));
  }
  Respond(slot, http::status::ok, "application/octet-stream", std::move(*frames));
}

void PollHttpConnection::Refuse(Slot* slot, Status status, std::string_view message,
                                std::string_view extra_headers) {
  Log()->debug("event=poll_refused status={} error=\"{}\"", static_cast<int>(status), message);
  Respond(slot, status, "text/plain; charset=utf-8", common::StrCat(message, "\n"),
          extra_headers);
}

void PollHttpConnection::Respond(Slot* slot, Status status, std::string_view content_type,
                                 std::string body, std::string_view extra_headers) {
  if (state_ == State::kClosed) return;
  std::string& out = slot->response;
  out = common::StrCat("HTTP/1.1 ", static_cast<int>(status), " ",
                       View(http::obsolete_reason(status)), "\r\n");
  if (!content_type.empty()) out += common::StrCat("Content-Type: ", content_type, "\r\n");
  if (status != http::status::no_content) {
    out += common::StrCat("Content-Length: ", body.size(), "\r\n");
  }
  out += "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n";
  out += extra_headers;
  // No request follows the last one: the answer says the connection closes.
  if (last_request_ && !deferred_ && slot == slots_.back().get()) out += "Connection: close\r\n";
  out += "\r\n";
  out += body;
  slot->ready = true;
  WriteReady();
}

void PollHttpConnection::WriteReady() {
  if (writing_ > 0 || state_ == State::kClosed) return;
  out_.clear();
  for (const auto& slot : slots_) {
    if (!slot->ready) break;
    out_.push_back(asio::buffer(slot->response));
    ++writing_;
  }
  if (writing_ == 0) return;
  ArmDeadline(options_.request_timeout);
  stream_.Write(out_, [self = shared_from_this()](const error_code& ec, std::size_t) {
    self->OnWritten(ec);
  });
}

void PollHttpConnection::OnWritten(const error_code& ec) {
  if (state_ == State::kClosed) return;
  if (ec) return Close();  // which ends the sessions whose polled frames these carried
  slots_.erase(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(writing_));
  writing_ = 0;
  out_.clear();
  if (last_request_ && slots_.empty() && !deferred_) return Linger();
  if (slots_.empty()) {
    ArmDeadline(options_.request_timeout);  // until the next request is whole
  } else if (!poll_slot_) {
    timer_.cancel();  // the session answers every request (logic calls have deadlines)
  }
  WriteReady();
  HandleRequests();
  if (peer_done_ && slots_.empty() && !deferred_ && writing_ == 0) return Close();
  Receive();
}

void PollHttpConnection::Linger() {
  if (stream_.is_tls() || peer_done_) return Close();  // (a client done sending has nothing to drain)
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
  if (state_ == State::kClosed) return;
  if (poll_slot_ && polling_) {
    polling_->EndPoll(poll_ticket_);  // answered with nothing
    return;
  }
  // Waiting only for a session's answers has no deadline of its own.
  if (state_ == State::kOpen && writing_ == 0 && !slots_.empty()) return;
  Close();
}

void PollHttpConnection::Close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  if (std::exchange(counted_, false)) sessions_->registry()->Release(peer_key_);
  timer_.cancel();
  stream_.Close();
  // Polled frames handed to this connection and not written: the client
  // logs in again and syncs, as after a lost TCP connection.
  for (const auto& slot : slots_) {
    if (slot->polled_from) {
      Log()->info("event=poll_answer_lost peer={}", peer_);
      slot->polled_from->Hangup();
    }
  }
  // A poll still held ends; its frames stay for the client's next poll.
  if (polling_) polling_->EndPoll(poll_ticket_);
  polling_.reset();
  poll_slot_ = nullptr;
}

}  // namespace im::access
