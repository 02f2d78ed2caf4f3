#pragma once
// The byte stream under one client connection: plain TCP, or TLS over it
// (when a server TLS context is given). The Connection drives it from its
// io_context thread, with at most one read and one write outstanding.
//
// Reading: plain TCP holds no buffer while idle (it waits for readability,
// then reads into a per-thread buffer); TLS reads into a buffer of its own
// (kTlsReadBytes), on top of what Asio and OpenSSL keep per TLS connection
// (two 17 KiB record buffers in Asio, and OpenSSL's session state). Either way the handler
// gets (error, the bytes read), and the bytes are valid only during the call.
// TLS starts with Handshake(); nothing is read or written before it succeeded.
//
// WebSocket (a non-empty `websocket_path`): Handshake() also reads the HTTP
// upgrade request (after the TLS handshake, for wss) and accepts the
// upgrade; a GET for one of the web client's files (`pages`, if given) is
// answered with it, any other path 404 and anything else that is not a
// WebSocket upgrade 400, and the handshake then fails (served_page() tells
// a page served from a refusal). Then one binary WebSocket message carries one frame
// body (a ClientFrame in, a ServerFrame out) without the 4-byte length: Read
// hands the Connection each message with the length put in front, and Write
// sends each length-prefixed frame of its buffers as one message. So the
// Connection frames, bounds and paces bytes the same way over every
// transport. A message longer than `max_message_bytes` fails the read.

// clang-format off
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20)
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
// clang-format on
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "access/web_pages.h"

namespace im::access {

class ClientStream {
 public:
  using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp,
                                                  boost::asio::io_context::executor_type>;
  using ErrorCode = boost::system::error_code;
  static constexpr std::size_t kPlainReadChunkBytes = 64 * 1024;
  static constexpr std::size_t kTlsReadBytes = 8 * 1024;

  // `tls` null: plain TCP. Otherwise it must outlive the stream.
  // `websocket_path` empty: raw frames; else WebSocket at that path, with
  // `pages` (may be null; must outlive the stream) served beside it.
  ClientStream(Socket socket, boost::asio::ssl::context* tls, std::string websocket_path = {},
               std::size_t max_message_bytes = 1 << 20, const WebPages* pages = nullptr)
      : socket_(std::move(socket)) {
    if (tls != nullptr) tls_ = std::make_unique<boost::asio::ssl::stream<Socket&>>(socket_, *tls);
    if (!websocket_path.empty()) {
      ws_ = std::make_unique<WebSocket>();
      ws_->path = std::move(websocket_path);
      ws_->max_message_bytes = max_message_bytes;
      ws_->pages = pages;
    }
  }

  bool is_tls() const { return tls_ != nullptr; }
  bool is_websocket() const { return ws_ != nullptr; }
  // Whether the handshake failed because it answered a GET with a page.
  bool served_page() const { return ws_ != nullptr && ws_->served_page; }
  // True when Handshake() has work to do (TLS or a WebSocket upgrade).
  bool needs_handshake() const { return tls_ || ws_; }
  auto get_executor() { return socket_.get_executor(); }
  Socket& socket() { return socket_; }

  // Sets the socket options a client connection wants.
  void Prepare() {
    ErrorCode ec;
    if (!tls_) socket_.non_blocking(true, ec);
    socket_.set_option(boost::asio::ip::tcp::no_delay(true), ec);
  }

  // handler(error): the TLS handshake (server side) and the WebSocket
  // upgrade finished; at once for plain TCP.
  template <typename Handler>
  void Handshake(Handler handler) {
    if (ws_) {
      if (!tls_) return Upgrade(std::move(handler));
      return tls_->async_handshake(boost::asio::ssl::stream_base::server,
                                   [this, h = std::move(handler)](const ErrorCode& ec) mutable {
                                     if (ec) return h(ec);
                                     Upgrade(std::move(h));
                                   });
    }
    if (!tls_)
      return boost::asio::post(socket_.get_executor(),
                               [h = std::move(handler)]() mutable { h(ErrorCode()); });
    tls_->async_handshake(boost::asio::ssl::stream_base::server, std::move(handler));
  }

  // handler(error, std::string_view bytes): the next bytes that arrived.
  template <typename Handler>
  void Read(Handler handler) {
    if (ws_) return ReadMessage(std::move(handler));
    if (tls_) {
      if (!tls_buffer_) tls_buffer_ = std::make_unique<std::array<char, kTlsReadBytes>>();
      tls_->async_read_some(
          boost::asio::buffer(*tls_buffer_),
          [this, h = std::move(handler)](const ErrorCode& ec, std::size_t n) mutable {
            h(ec, std::string_view(tls_buffer_->data(), n));
          });
      return;
    }
    socket_.async_wait(Socket::wait_read, [this,
                                           h = std::move(handler)](const ErrorCode& ec) mutable {
      if (ec) return h(ec, std::string_view());
      thread_local std::array<char, kPlainReadChunkBytes> buffer;
      ErrorCode read_ec;
      const std::size_t n = socket_.read_some(boost::asio::buffer(buffer), read_ec);
      if (read_ec == boost::asio::error::would_block || read_ec == boost::asio::error::try_again) {
        return Read(std::move(h));
      }
      h(read_ec, std::string_view(buffer.data(), n));
    });
  }

  // handler(error, bytes): all of `buffers` written.
  template <typename Buffers, typename Handler>
  void Write(const Buffers& buffers, Handler handler) {
    if (ws_) return WriteMessages(buffers, std::move(handler));
    if (tls_) return boost::asio::async_write(*tls_, buffers, std::move(handler));
    boost::asio::async_write(socket_, buffers, std::move(handler));
  }

  // Closes the socket at once (no TLS close_notify: a closing connection has
  // flushed what it had to say); outstanding operations end with an error.
  void Close() {
    ErrorCode ignored;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  using PlainWs = boost::beast::websocket::stream<Socket&>;
  using TlsWs = boost::beast::websocket::stream<boost::asio::ssl::stream<Socket&>&>;
  struct WebSocket {
    std::string path;
    std::size_t max_message_bytes = 0;
    const WebPages* pages = nullptr;
    bool served_page = false;
    std::variant<std::monostate, std::unique_ptr<PlainWs>, std::unique_ptr<TlsWs>> stream;
    boost::beast::flat_buffer buffer;  // the upgrade request, then each message read
    std::unique_ptr<boost::beast::http::request_parser<boost::beast::http::empty_body>> request;
    std::unique_ptr<boost::beast::http::request<boost::beast::http::empty_body>> upgrade;
    // The HTTP answer to a request that is not an upgrade: a page or a refusal.
    std::unique_ptr<boost::beast::http::response<boost::beast::http::string_body>> refusal;
    std::string frame;                  // the message read, as a length-prefixed frame
    std::string outgoing;  // the length-prefixed frames Write is sending
    // Where each frame's body lies in `outgoing`: one message each.
    std::vector<std::pair<std::size_t, std::size_t>> outgoing_messages;
    std::size_t next_outgoing = 0;
  };
  static constexpr std::size_t kMaxUpgradeRequestBytes = 8 * 1024;

  // Calls fn(the WebSocket stream over TLS or over TCP); it must be made.
  template <typename Fn>
  void OnWebSocket(Fn&& fn) {
    if (auto* tls = std::get_if<std::unique_ptr<TlsWs>>(&ws_->stream)) return fn(**tls);
    fn(*std::get<std::unique_ptr<PlainWs>>(ws_->stream));
  }

  // Reads the HTTP request and accepts it as a WebSocket upgrade, or answers
  // 400/404 and fails with `operation_not_supported`.
  template <typename Handler>
  void Upgrade(Handler handler) {
    namespace http = boost::beast::http;
    ws_->request = std::make_unique<http::request_parser<http::empty_body>>();
    ws_->request->header_limit(kMaxUpgradeRequestBytes);
    auto on_request = [this, h = std::move(handler)](const ErrorCode& ec, std::size_t) mutable {
      if (ec) return h(ec);
      const auto& request = ws_->request->get();
      const auto raw_target = request.target();
      const std::string_view target(raw_target.data(), raw_target.size());
      const std::string_view path = target.substr(0, target.find('?'));
      const WebPages::File* page = nullptr;
      if (ws_->pages != nullptr && path != ws_->path && request.method() == http::verb::get) {
        page = ws_->pages->Find(path);
      }
      if (page != nullptr) {
        ws_->served_page = true;
        return Answer(http::status::ok, page->content_type, page->body, std::move(h));
      }
      if (path != ws_->path || !boost::beast::websocket::is_upgrade(request)) {
        return Answer(path != ws_->path ? http::status::not_found : http::status::bad_request,
                      "text/plain",
                      path != ws_->path ? "no WebSocket endpoint at this path\n"
                                        : "this port speaks WebSocket: send an upgrade request\n",
                      std::move(h));
      }
      if (tls_) {
        ws_->stream = std::make_unique<TlsWs>(*tls_);
      } else {
        ws_->stream = std::make_unique<PlainWs>(socket_);
      }
      ws_->upgrade = std::make_unique<http::request<http::empty_body>>(ws_->request->release());
      ws_->request.reset();
      ws_->buffer.clear();  // a client sends nothing more before it hears 101
      ws_->buffer.shrink_to_fit();
      OnWebSocket([this, &h](auto& ws) {
        ws.binary(true);
        ws.auto_fragment(false);
        ws.read_message_max(ws_->max_message_bytes);
        ws.async_accept(*ws_->upgrade, [this, h = std::move(h)](const ErrorCode& ec) mutable {
          ws_->upgrade.reset();
          h(ec);
        });
      });
    };
    if (tls_) return http::async_read(*tls_, ws_->buffer, *ws_->request, std::move(on_request));
    http::async_read(socket_, ws_->buffer, *ws_->request, std::move(on_request));
  }

  // Answers the request over HTTP, closing after it (the handshake fails).
  template <typename Handler>
  void Answer(boost::beast::http::status status, std::string_view content_type,
              std::string_view body, Handler handler) {
    namespace http = boost::beast::http;
    ws_->refusal = std::make_unique<http::response<http::string_body>>(status, 11);
    ws_->refusal->set(http::field::content_type,
                      boost::beast::string_view(content_type.data(), content_type.size()));
    ws_->refusal->set(http::field::cache_control, "no-cache");
    ws_->refusal->set("X-Content-Type-Options", "nosniff");
    ws_->refusal->keep_alive(false);
    ws_->refusal->body() = body;
    ws_->refusal->prepare_payload();
    auto done = [h = std::move(handler)](const ErrorCode&, std::size_t) mutable {
      h(boost::asio::error::operation_not_supported);
    };
    if (tls_) return http::async_write(*tls_, *ws_->refusal, std::move(done));
    http::async_write(socket_, *ws_->refusal, std::move(done));
  }

  template <typename Handler>
  void ReadMessage(Handler handler) {
    OnWebSocket([this, &handler](auto& ws) {
      ws.async_read(ws_->buffer, [this, h = std::move(handler)](const ErrorCode& ec,
                                                                std::size_t n) mutable {
        if (ec) {
          ws_->buffer.clear();
          return h(ec, std::string_view());
        }
        const std::uint32_t length = static_cast<std::uint32_t>(n);
        ws_->frame.resize(4 + n);
        ws_->frame[0] = static_cast<char>(length >> 24);
        ws_->frame[1] = static_cast<char>(length >> 16);
        ws_->frame[2] = static_cast<char>(length >> 8);
        ws_->frame[3] = static_cast<char>(length);
        boost::asio::buffer_copy(boost::asio::buffer(ws_->frame.data() + 4, n), ws_->buffer.data());
        ws_->buffer.consume(ws_->buffer.size());
        std::string frame = std::move(ws_->frame);
        ws_->frame.clear();
        // `h` may start the next read (on ws_->buffer) before it returns.
        ws_->buffer.shrink_to_fit();
        h(ErrorCode(), std::string_view(frame));
      });
    });
  }

  // Splits the length-prefixed frames of `buffers` into messages and sends
  // them one after another; handler(error, bytes of `buffers`) at the end.
  template <typename Buffers, typename Handler>
  void WriteMessages(const Buffers& buffers, Handler handler) {
    std::string& bytes = ws_->outgoing;
    bytes.resize(boost::asio::buffer_size(buffers));
    boost::asio::buffer_copy(boost::asio::buffer(bytes), buffers);
    ws_->outgoing_messages.clear();
    ws_->next_outgoing = 0;
    for (std::size_t at = 0; at + 4 <= bytes.size();) {
      const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + at);
      const std::size_t length = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                                 (std::size_t{p[2]} << 8) | std::size_t{p[3]};
      ws_->outgoing_messages.emplace_back(at + 4, std::min(length, bytes.size() - at - 4));
      at += 4 + length;
    }
    WriteNextMessage(std::move(handler));
  }

  template <typename Handler>
  void WriteNextMessage(Handler handler) {
    if (ws_->next_outgoing == ws_->outgoing_messages.size()) {
      const std::size_t written = ws_->outgoing.size();
      std::string().swap(ws_->outgoing);  // an idle connection holds no write buffer
      return handler(ErrorCode(), written);
    }
    OnWebSocket([this, &handler](auto& ws) {
      const auto [at, length] = ws_->outgoing_messages[ws_->next_outgoing++];
      ws.async_write(boost::asio::buffer(ws_->outgoing.data() + at, length),
                     [this, h = std::move(handler)](const ErrorCode& ec, std::size_t) mutable {
                       if (ec) return h(ec, std::size_t{0});
                       WriteNextMessage(std::move(h));
                     });
    });
  }

  Socket socket_;
  std::unique_ptr<boost::asio::ssl::stream<Socket&>> tls_;
  std::unique_ptr<std::array<char, kTlsReadBytes>> tls_buffer_;
  std::unique_ptr<WebSocket> ws_;
};

}  // namespace im::access
