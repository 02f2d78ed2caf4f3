#include "bench/bench_connection.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>

#include "common/str_cat.h"

namespace im::bench {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::uint64_t kPingReqIdBit = std::uint64_t{1} << 63;
constexpr int kUnavailable = 14;

}  // namespace

std::string ServerAddress::ToString() const {
  const std::string host_port =
      common::StrCat(endpoint.address().to_string(), ":", endpoint.port());
  if (!poll_path.empty()) return common::StrCat("http://", host_port, poll_path);
  return websocket_path.empty() ? host_port : common::StrCat("ws://", host_port, websocket_path);
}

void BenchConnection::Connect(const ServerAddress& server, const asio::ip::address& source,
                              std::function<void(bool)> done) {
  source_ = source;
  if (!server.poll_path.empty()) {
    poll_ = std::make_unique<LongPoll>(
        static_cast<asio::io_context&>(socket_.get_executor().context()), server.poll_path,
        common::StrCat(server.endpoint.address().to_string(), ":", server.endpoint.port()));
  }
  error_code ec;
  socket_.open(server.endpoint.protocol(), ec);
  if (!ec) {
    const int one = 1;
    // Defer the port choice to connect(): the 4-tuple, not the bind, must be unique.
    setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    socket_.bind(asio::ip::tcp::endpoint(source, 0), ec);
  }
  if (ec) {
    closed_ = true;
    return asio::post(socket_.get_executor(), [done = std::move(done)] { done(false); });
  }
  socket_.async_connect(server.endpoint, [self = shared_from_this(), server,
                                          done = std::move(done)](const error_code& ec) mutable {
    if (ec || self->closed_) {
      self->Close();
      return done(false);
    }
    error_code ignored;
    self->socket_.non_blocking(true, ignored);
    self->socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    if (!server.websocket_path.empty()) return self->Upgrade(server, std::move(done));
    self->Opened();
    done(true);
  });
}

void BenchConnection::Opened() {
  open_ = true;
  WaitReadable();
  WriteNext();
}

// Writes the upgrade request; OnReadable takes the answer and then calls
// `done` (Close, if it comes first, calls it with false).
void BenchConnection::Upgrade(const ServerAddress& server, std::function<void(bool)> done) {
  websocket_ = std::make_unique<WebSocket>();
  websocket_->key = common::NewWebSocketKey();
  websocket_->opened = std::move(done);
  const std::string host_port = common::StrCat(server.endpoint.address().to_string(), ":",
                                               server.endpoint.port());
  writing_ = common::WebSocketUpgradeRequest(host_port, server.websocket_path, websocket_->key);
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](const error_code& ec, std::size_t) {
                      self->writing_.clear();
                      if (ec) return self->Close();
                      self->WaitReadable();
                    });
}

void BenchConnection::Call(client::ClientFrame frame, FrameHandler on_response) {
  if (closed_) {
    client::ServerFrame failed;
    failed.mutable_status()->set_code(kUnavailable);
    failed.mutable_status()->set_message("connection closed");
    return on_response(failed);
  }
  const std::uint64_t req_id = next_req_id_++;
  frame.set_req_id(req_id);
  pending_.emplace_back(req_id, std::move(on_response));
  Queue(frame);
}

void BenchConnection::Ping() {
  if (!open_) return;
  client::ClientFrame ping;
  ping.set_req_id(kPingReqIdBit | next_req_id_++);
  ping.mutable_ping();
  Queue(ping);
}

void BenchConnection::Queue(const client::ClientFrame& frame) {
  if (poll_) {
    queued_ += PollRequest(frame);
    if (writing_.empty()) WriteNext();
    return;
  }
  if (websocket_) return QueueWebSocket(common::kWsBinary, frame.SerializeAsString());
  queued_ += common::EncodeFrame(frame);
  if (writing_.empty()) WriteNext();
}

void BenchConnection::QueueWebSocket(std::uint8_t opcode, std::string_view payload) {
  std::uint32_t& x = websocket_->mask;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  common::AppendWebSocketFrame(queued_, opcode, payload, x);
  if (writing_.empty()) WriteNext();
}

void BenchConnection::WriteNext() {
  if (!open_ || queued_.empty() || !writing_.empty()) return;
  writing_.swap(queued_);
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](const error_code& ec, std::size_t) {
                      self->writing_.clear();
                      if (ec) return self->Close();
                      self->WriteNext();
                    });
}

void BenchConnection::WaitReadable() {
  socket_.async_wait(asio::ip::tcp::socket::wait_read,
                     [self = shared_from_this()](const error_code& ec) { self->OnReadable(ec); });
}

void BenchConnection::OnReadable(const error_code& ec) {
  if (closed_) return;
  if (ec) return Close();
  thread_local std::array<char, 64 * 1024> buffer;
  for (;;) {
    error_code read_ec;
    const std::size_t n = socket_.read_some(asio::buffer(buffer), read_ec);
    if (read_ec == asio::error::would_block) break;
    if (read_ec || n == 0) return Close();
    if (!TakeBytes(std::string_view(buffer.data(), n))) return;
  }
  WaitReadable();
}

bool BenchConnection::TakeBytes(std::string_view bytes) {
  if (websocket_) return TakeWebSocketBytes(bytes);
  if (poll_) return TakePollAnswers(bytes);
  return TakeFrames(bytes);
}

bool BenchConnection::TakeFrames(std::string_view frames) {
  if (!decoder_.Append(frames).ok()) {
    Close();
    return false;
  }
  while (auto body = decoder_.Next()) {
    if (!TakeFrame(*body)) return false;
  }
  return true;
}

std::string BenchConnection::PollRequest(const client::ClientFrame& frame) const {
  const std::string body = frame.SerializeAsString();
  const bool login = poll_->token.empty();
  return common::StrCat("POST ", poll_->path, login ? "/login" : "/request",
                        " HTTP/1.1\r\nHost: ", poll_->host, "\r\n",
                        login ? "" : common::StrCat("Authorization: Bearer ", poll_->token, "\r\n"),
                        "Content-Length: ", body.size(), "\r\n\r\n", body);
}

bool BenchConnection::NextAnswer(std::string& in, int* status, std::string* body) {
  const std::size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  *status = in.starts_with("HTTP/1.") && in.size() > 12 ? std::atoi(in.c_str() + 9) : 0;
  std::size_t length = 0;
  const std::size_t field = in.find("Content-Length: ");
  if (field != std::string::npos && field < head_end) {
    length = std::strtoull(in.c_str() + field + 16, nullptr, 10);
  }
  if (in.size() < head_end + 4 + length) return false;
  body->assign(in, head_end + 4, length);
  in.erase(0, head_end + 4 + length);
  return true;
}

bool BenchConnection::TakePollAnswers(std::string_view bytes) {
  poll_->answers.append(bytes);
  int status = 0;
  std::string body;
  while (NextAnswer(poll_->answers, &status, &body)) {
    if (status != 200) {  // the session is gone (or the request was refused): as a lost connection
      Close();
      return false;
    }
    const bool logging_in = poll_->token.empty();
    if (!TakeFrames(body)) return false;
    if (logging_in && !poll_->token.empty()) StartEvents();
  }
  return true;
}

void BenchConnection::StartEvents() {
  error_code ec;
  LongPoll& p = *poll_;
  p.events.open(socket_.local_endpoint(ec).protocol(), ec);
  if (!ec) {
    const int one = 1;
    setsockopt(p.events.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    p.events.bind(asio::ip::tcp::endpoint(source_, 0), ec);
  }
  if (ec) return Close();
  p.events.async_connect(socket_.remote_endpoint(ec),
                         [self = shared_from_this()](const error_code& connect_ec) {
                           if (self->closed_) return;
                           if (connect_ec) return self->Close();
                           self->PollEvents();
                         });
}

void BenchConnection::PollEvents() {
  LongPoll& p = *poll_;
  p.events_out = common::StrCat("GET ", p.path, "/events HTTP/1.1\r\nHost: ", p.host,
                                "\r\nAuthorization: Bearer ", p.token, "\r\n\r\n");
  asio::async_write(p.events, asio::buffer(p.events_out),
                    [self = shared_from_this()](const error_code& ec, std::size_t) {
                      if (self->closed_) return;
                      if (ec) return self->Close();
                      std::string().swap(self->poll_->events_out);
                      self->ReadEvents();
                    });
}

void BenchConnection::ReadEvents() {
  poll_->events.async_wait(
      asio::ip::tcp::socket::wait_read, [self = shared_from_this()](const error_code& ec) {
        if (self->closed_) return;
        if (ec) return self->Close();
        LongPoll& p = *self->poll_;
        thread_local std::array<char, 64 * 1024> buffer;
        error_code read_ec;
        const std::size_t n = p.events.read_some(asio::buffer(buffer), read_ec);
        if (read_ec == asio::error::would_block) return self->ReadEvents();
        if (read_ec || n == 0) return self->Close();
        p.events_in.append(buffer.data(), n);
        int status = 0;
        std::string body;
        if (!NextAnswer(p.events_in, &status, &body)) return self->ReadEvents();
        if (status != 200) return self->Close();
        std::string().swap(p.events_in);
        if (!self->TakeFrames(body)) return;
        self->PollEvents();
      });
}

bool BenchConnection::TakeWebSocketBytes(std::string_view bytes) {
  WebSocket& ws = *websocket_;
  if (ws.opened) {  // still upgrading
    ws.answer.append(bytes);
    std::size_t head_bytes = 0;
    const std::optional<absl::Status> answer =
        common::CheckWebSocketUpgrade(ws.answer, ws.key, &head_bytes);
    if (!answer) return true;
    if (!answer->ok()) {
      Close();
      return false;
    }
    ws.decoder.Append(std::string_view(ws.answer).substr(head_bytes));
    std::string().swap(ws.answer);
    std::string().swap(ws.key);
    auto opened = std::move(ws.opened);
    ws.opened = nullptr;
    open_ = true;  // OnReadable waits for the next bytes, as it does for TCP
    WriteNext();
    opened(true);
    if (closed_) return false;
  } else {
    ws.decoder.Append(bytes);
  }
  while (auto message = ws.decoder.Next()) {
    if (message->opcode == common::kWsBinary) {
      if (!TakeFrame(message->payload)) return false;
    } else if (message->opcode == common::kWsPing) {
      QueueWebSocket(common::kWsPong, message->payload);
    } else if (message->opcode != common::kWsPong) {
      Close();  // close, or text (not this protocol)
      return false;
    }
  }
  if (!ws.decoder.status().ok()) {
    Close();
    return false;
  }
  return true;
}

bool BenchConnection::TakeFrame(std::string_view body) {
  client::ServerFrame frame;
  if (!frame.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    Close();
    return false;
  }
  if (poll_ && poll_->token.empty() && frame.has_login() && frame.status().code() == 0) {
    poll_->token = frame.login().session_token();
  }
  Dispatch(frame);
  return !closed_;
}

void BenchConnection::Dispatch(const client::ServerFrame& frame) {
  if (frame.req_id() & kPingReqIdBit) return;
  if (frame.req_id() == 0) {
    if (on_event_) on_event_(frame);
    return;
  }
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (it->first != frame.req_id()) continue;
    FrameHandler handler = std::move(it->second);
    pending_.erase(it);
    handler(frame);
    return;
  }
}

void BenchConnection::Close() {
  if (closed_) return;
  closed_ = true;
  open_ = false;
  error_code ignored;
  if (poll_ && !poll_->token.empty() && socket_.is_open()) {
    // Ends the session now rather than at its idle timeout: the request goes
    // out before the socket closes (best effort, never waited for).
    const std::string bye = common::StrCat("POST ", poll_->path, "/close HTTP/1.1\r\nHost: ",
                                           poll_->host, "\r\nAuthorization: Bearer ",
                                           poll_->token, "\r\nContent-Length: 0\r\n\r\n");
    socket_.write_some(asio::buffer(bye), ignored);
  }
  if (poll_) poll_->events.close(ignored);
  socket_.close(ignored);
  client::ServerFrame failed;
  failed.mutable_status()->set_code(kUnavailable);
  failed.mutable_status()->set_message("connection closed");
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, handler] : pending) handler(failed);
  if (websocket_ && websocket_->opened) {
    auto opened = std::move(websocket_->opened);
    websocket_->opened = nullptr;
    opened(false);
  }
  if (auto on_close = std::move(on_close_)) on_close();
  on_event_ = nullptr;
}

}  // namespace im::bench
