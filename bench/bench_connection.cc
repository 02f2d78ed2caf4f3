#include "bench/bench_connection.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>

namespace im::bench {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::uint64_t kPingReqIdBit = std::uint64_t{1} << 63;
constexpr int kUnavailable = 14;

}  // namespace

void BenchConnection::Connect(const asio::ip::tcp::endpoint& server,
                              const asio::ip::address& source, std::function<void(bool)> done) {
  error_code ec;
  socket_.open(server.protocol(), ec);
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
  socket_.async_connect(server,
                        [self = shared_from_this(), done = std::move(done)](const error_code& ec) {
                          if (ec || self->closed_) {
                            self->Close();
                            return done(false);
                          }
                          error_code ignored;
                          self->socket_.non_blocking(true, ignored);
                          self->socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
                          self->open_ = true;
                          self->WaitReadable();
                          self->WriteNext();
                          done(true);
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
  queued_ += common::EncodeFrame(frame);
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
    if (!decoder_.Append(std::string_view(buffer.data(), n)).ok()) return Close();
    while (auto body = decoder_.Next()) {
      client::ServerFrame frame;
      if (!frame.ParseFromArray(body->data(), static_cast<int>(body->size()))) return Close();
      Dispatch(frame);
      if (closed_) return;
    }
  }
  WaitReadable();
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
  socket_.close(ignored);
  client::ServerFrame failed;
  failed.mutable_status()->set_code(kUnavailable);
  failed.mutable_status()->set_message("connection closed");
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, handler] : pending) handler(failed);
  if (auto on_close = std::move(on_close_)) on_close();
  on_event_ = nullptr;
}

}  // namespace im::bench
