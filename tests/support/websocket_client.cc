#include "tests/support/websocket_client.h"

// clang-format off
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20)
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
// clang-format on

namespace im::testing {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using Tcp = asio::ip::tcp;

struct WebSocketClient::State {
  asio::io_context io;
  asio::ssl::context tls{asio::ssl::context::tls_client};
  std::unique_ptr<websocket::stream<Tcp::socket>> plain;
  std::unique_ptr<websocket::stream<boost::beast::ssl_stream<Tcp::socket>>> secure;
  boost::beast::flat_buffer buffer;

  // fn(the WebSocket stream, plain or over TLS).
  template <typename Fn>
  auto With(Fn&& fn) {
    return secure ? fn(*secure) : fn(*plain);
  }
  Tcp::socket& socket() {
    return secure ? boost::beast::get_lowest_layer(*secure) : plain->next_layer();
  }
};

WebSocketClient::WebSocketClient(std::unique_ptr<State> state) : state_(std::move(state)) {}
WebSocketClient::~WebSocketClient() = default;

absl::StatusOr<std::unique_ptr<WebSocketClient>> WebSocketClient::Connect(
    int port, const std::string& path, const std::string& tls_ca_file) {
  auto state = std::make_unique<State>();
  boost::system::error_code ec;
  if (tls_ca_file.empty()) {
    state->plain = std::make_unique<websocket::stream<Tcp::socket>>(state->io);
  } else {
    state->tls.load_verify_file(tls_ca_file, ec);
    if (ec) return absl::InvalidArgumentError("CA file: " + ec.message());
    state->tls.set_verify_mode(asio::ssl::verify_peer);
    state->secure = std::make_unique<websocket::stream<boost::beast::ssl_stream<Tcp::socket>>>(
        state->io, state->tls);
  }
  const Tcp::endpoint server(asio::ip::make_address("127.0.0.1"),
                             static_cast<unsigned short>(port));
  state->socket().connect(server, ec);
  if (ec) return absl::UnavailableError("connect: " + ec.message());
  if (state->secure) {
    state->secure->next_layer().handshake(asio::ssl::stream_base::client, ec);
    if (ec) return absl::UnavailableError("TLS handshake: " + ec.message());
  }
  state->With([&](auto& ws) {
    ws.binary(true);
    ws.handshake("127.0.0.1:" + std::to_string(port), path, ec);
  });
  if (ec) return absl::UnavailableError("websocket handshake: " + ec.message());
  return std::unique_ptr<WebSocketClient>(new WebSocketClient(std::move(state)));
}

absl::Status WebSocketClient::Send(const client::ClientFrame& frame) {
  return SendBytes(frame.SerializeAsString());
}

absl::Status WebSocketClient::SendBytes(const std::string& bytes) {
  boost::system::error_code ec;
  state_->With([&](auto& ws) { ws.write(asio::buffer(bytes), ec); });
  if (ec) return absl::UnavailableError("write: " + ec.message());
  return absl::OkStatus();
}

absl::StatusOr<client::ServerFrame> WebSocketClient::Receive(std::chrono::milliseconds timeout) {
  bool done = false;
  boost::system::error_code read_ec;
  state_->With([&](auto& ws) {
    ws.async_read(state_->buffer, [&](const boost::system::error_code& ec, std::size_t) {
      read_ec = ec;
      done = true;
    });
  });
  state_->io.restart();
  state_->io.run_for(timeout);
  if (!done) {
    boost::system::error_code ignored;
    state_->socket().cancel(ignored);
    state_->io.restart();
    state_->io.run();
    return absl::DeadlineExceededError("no frame within the timeout");
  }
  if (read_ec) return absl::UnavailableError("read: " + read_ec.message());
  client::ServerFrame frame;
  const std::string bytes = boost::beast::buffers_to_string(state_->buffer.data());
  state_->buffer.consume(state_->buffer.size());
  if (!frame.ParseFromString(bytes)) return absl::DataLossError("not a ServerFrame");
  return frame;
}

absl::StatusOr<client::ServerFrame> WebSocketClient::Call(client::ClientFrame frame,
                                                          std::chrono::milliseconds timeout) {
  const std::uint64_t req_id = next_req_id_++;
  frame.set_req_id(req_id);
  if (auto s = Send(frame); !s.ok()) return s;
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return absl::DeadlineExceededError("no answer within the timeout");
    auto got = Receive(left);
    if (!got.ok()) return got.status();
    if (got->req_id() == req_id) return got;
  }
}

}  // namespace im::testing
