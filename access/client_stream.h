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
// a page served from a refusal). Then one binary WebSocket message carries
// one frame body (a ClientFrame in, a ServerFrame out) without the 4-byte
// length: Read hands the Connection the messages that arrived with their
// lengths put in front, and Write sends each length-prefixed frame of its
// buffers as one message, all of them in one socket write. So the
// Connection frames, bounds and paces bytes the same way over every
// transport. The framing is common/websocket_codec's (not Beast's stream,
// which keeps several kilobytes per connection): an idle WebSocket
// connection holds no buffer either. A message longer than
// `max_message_bytes`, an unmasked or text frame fails the read; a close
// frame ends it like a closed socket. A ping is answered by a pong written
// with the next write, or by the read itself when no write is under way.
//
// Long-poll (made with a PollMailbox): no socket at all. Read and Write go
// to the mailbox (access/poll_mailbox.h), which the session's HTTP requests
// feed and drain; the frames are the same length-prefixed ones.

// clang-format off
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20)
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
// clang-format on
#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "access/poll_mailbox.h"
#include "access/web_pages.h"
#include "common/frame_codec.h"
#include "common/websocket_codec.h"

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
      ws_ = std::make_unique<WebSocket>(max_message_bytes);
      ws_->path = std::move(websocket_path);
      ws_->pages = pages;
    }
  }

  // A long-poll session's stream: reads and writes go to `mailbox`.
  explicit ClientStream(std::shared_ptr<PollMailbox> mailbox)
      : socket_(mailbox->executor()), mailbox_(std::move(mailbox)) {}

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
    if (mailbox_) return mailbox_->Read(std::move(handler));
    if (ws_) return ReadMessages(std::move(handler), /*in_completion=*/false);
    ReadBytes(std::move(handler));
  }

  // handler(error, bytes): all of `buffers` written.
  template <typename Buffers, typename Handler>
  void Write(const Buffers& buffers, Handler handler) {
    if (mailbox_) {
      return mailbox_->Write(std::vector<boost::asio::const_buffer>(
                                 boost::asio::buffer_sequence_begin(buffers),
                                 boost::asio::buffer_sequence_end(buffers)),
                             std::move(handler));
    }
    if (ws_) return WriteMessages(buffers, std::move(handler));
    if (tls_) return boost::asio::async_write(*tls_, buffers, std::move(handler));
    boost::asio::async_write(socket_, buffers, std::move(handler));
  }

  // Closes the socket at once (no TLS close_notify: a closing connection has
  // flushed what it had to say); outstanding operations end with an error.
  void Close() {
    if (mailbox_) return mailbox_->Close();
    ErrorCode ignored;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  // The bytes that arrived on the TCP or TLS stream, WebSocket or not.
  template <typename Handler>
  void ReadBytes(Handler handler) {
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
        return ReadBytes(std::move(h));
      }
      h(read_ec, std::string_view(buffer.data(), n));
    });
  }

  // Writes `bytes` (which must stay put until then) to the TCP or TLS stream.
  template <typename Handler>
  void WriteBytes(const std::string& bytes, Handler handler) {
    auto done = [h = std::move(handler)](const ErrorCode& ec, std::size_t) mutable { h(ec); };
    if (tls_) return boost::asio::async_write(*tls_, boost::asio::buffer(bytes), std::move(done));
    boost::asio::async_write(socket_, boost::asio::buffer(bytes), std::move(done));
  }

  struct WebSocket {
    explicit WebSocket(std::size_t max_message_bytes)
        : decoder(max_message_bytes, /*require_masked=*/true) {}
    std::string path;
    const WebPages* pages = nullptr;
    bool served_page = false;
    boost::beast::flat_buffer buffer;  // the upgrade request (released after it)
    std::unique_ptr<boost::beast::http::request_parser<boost::beast::http::empty_body>> request;
    // The HTTP answer to a request that is not an upgrade: a page or a refusal.
    std::unique_ptr<boost::beast::http::response<boost::beast::http::string_body>> refusal;
    common::WebSocketDecoder decoder;
    ErrorCode read_error;  // met after messages that were handed out first
    // Writes: at most one under way, the Connection's or a read's pong.
    bool writing = false;
    std::string out;   // the bytes being written
    std::string pong;  // the answer to the latest ping, for the next write
    // A Write that came while a read's pong was being written.
    std::string waiting;
    std::size_t waiting_bytes = 0;
    std::function<void(const ErrorCode&, std::size_t)> waiting_done;
  };
  static constexpr std::size_t kMaxUpgradeRequestBytes = 8 * 1024;

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
      const auto key = request[http::field::sec_websocket_key];
      if (key.empty() || request[http::field::sec_websocket_version] != "13") {
        return Answer(http::status::bad_request, "text/plain",
                      "a WebSocket upgrade needs Sec-WebSocket-Key and version 13\n", std::move(h));
      }
      // Frames a client sent right behind its request stay for the decoder.
      const auto leftover = ws_->buffer.data();
      ws_->decoder.Append(
          std::string_view(static_cast<const char*>(leftover.data()), leftover.size()));
      ws_->out = common::WebSocketUpgradeAnswer(std::string_view(key.data(), key.size()));
      ws_->request.reset();
      ws_->buffer = boost::beast::flat_buffer();
      WriteBytes(ws_->out, [this, h = std::move(h)](const ErrorCode& ec) mutable {
        std::string().swap(ws_->out);
        h(ec);
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

  // Hands the handler the messages decoded so far (as length-prefixed
  // frames), reading more until there is one; answers a ping on the way.
  // `in_completion`: called from a read's completion, where the handler may
  // run at once (else it is posted, as every Read completes later).
  template <typename Handler>
  void ReadMessages(Handler handler, bool in_completion) {
    ErrorCode ec;
    std::string frames = DecodedFrames(ec);
    if (!ws_->pong.empty() && !ws_->writing) {
      // The pong goes now, within this read, which keeps the connection alive.
      ws_->writing = true;
      ws_->out = std::move(ws_->pong);
      ws_->pong.clear();
      return WriteBytes(ws_->out, [this, h = std::move(handler), frames = std::move(frames),
                                   ec](const ErrorCode&) mutable {
        ws_->writing = false;
        std::string().swap(ws_->out);
        if (ws_->waiting_done) WriteWaiting();
        Deliver(std::move(h), ec, std::move(frames), /*in_completion=*/true);
      });
    }
    Deliver(std::move(handler), ec, std::move(frames), in_completion);
  }

  template <typename Handler>
  void Deliver(Handler handler, ErrorCode ec, std::string frames, bool in_completion) {
    if (!ec && frames.empty()) {
      return ReadBytes(
          [this, h = std::move(handler)](const ErrorCode& read_ec, std::string_view bytes) mutable {
            if (read_ec) return h(read_ec, std::string_view());
            ws_->decoder.Append(bytes);
            ReadMessages(std::move(h), /*in_completion=*/true);
          });
    }
    if (in_completion) return handler(ec, std::string_view(frames));
    boost::asio::post(socket_.get_executor(),
                      [h = std::move(handler), ec, frames = std::move(frames)]() mutable {
                        h(ec, std::string_view(frames));
                      });
  }

  // The binary messages decoded so far, each with its length in front. A
  // ping leaves its pong in ws_->pong; a close, text or bad framing sets
  // `ec` (kept for the next read if messages came before it).
  std::string DecodedFrames(ErrorCode& ec) {
    std::string frames;
    if (ws_->read_error) {
      ec = std::exchange(ws_->read_error, ErrorCode());
      return frames;
    }
    ErrorCode failed;
    while (auto message = ws_->decoder.Next()) {
      if (message->opcode == common::kWsBinary) {
        common::AppendFrame(frames, message->payload);
      } else if (message->opcode == common::kWsPing) {
        ws_->pong.clear();  // only the latest ping needs its answer
        common::AppendServerWebSocketFrame(ws_->pong, common::kWsPong, message->payload);
      } else if (message->opcode == common::kWsClose) {
        failed = boost::asio::error::eof;
        break;
      } else if (message->opcode != common::kWsPong) {
        failed = boost::asio::error::invalid_argument;  // text: this protocol is binary
        break;
      }
    }
    if (!failed && !ws_->decoder.status().ok()) {
      failed = ws_->decoder.status().code() == absl::StatusCode::kResourceExhausted
                   ? boost::asio::error::message_size
                   : boost::asio::error::invalid_argument;
    }
    if (frames.empty()) {
      ec = failed;
    } else {
      ws_->read_error = failed;
    }
    return frames;
  }

  // Sends each length-prefixed frame of `buffers` as one message, after a
  // pending pong, in one write; handler(error, bytes of `buffers`) at the end.
  template <typename Buffers, typename Handler>
  void WriteMessages(const Buffers& buffers, Handler handler) {
    std::string flat(boost::asio::buffer_size(buffers), '\0');
    boost::asio::buffer_copy(boost::asio::buffer(flat), buffers);
    std::string messages;
    messages.reserve(flat.size() + flat.size() / 8 + 16);
    for (std::size_t at = 0; at + 4 <= flat.size();) {
      const auto* p = reinterpret_cast<const unsigned char*>(flat.data() + at);
      const std::size_t length = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                                 (std::size_t{p[2]} << 8) | std::size_t{p[3]};
      common::AppendServerWebSocketFrame(
          messages, common::kWsBinary,
          std::string_view(flat).substr(at + 4, std::min(length, flat.size() - at - 4)));
      at += 4 + length;
    }
    if (ws_->writing) {  // a read's pong is being written: go right after it
      ws_->waiting = std::move(messages);
      ws_->waiting_bytes = flat.size();
      auto shared = std::make_shared<Handler>(std::move(handler));
      ws_->waiting_done = [shared](const ErrorCode& ec, std::size_t n) { (*shared)(ec, n); };
      return;
    }
    StartWrite(std::move(messages), flat.size(), std::move(handler));
  }

  template <typename Handler>
  void StartWrite(std::string messages, std::size_t bytes, Handler handler) {
    ws_->writing = true;
    ws_->out = std::move(ws_->pong);
    ws_->pong.clear();
    ws_->out += messages;
    WriteBytes(ws_->out, [this, bytes, h = std::move(handler)](const ErrorCode& ec) mutable {
      AfterWrite(ec, bytes, std::move(h));
    });
  }

  // A pong for a ping that came during the write goes before the handler
  // runs (the handler keeps the connection alive meanwhile).
  template <typename Handler>
  void AfterWrite(const ErrorCode& ec, std::size_t bytes, Handler handler) {
    if (!ec && !ws_->pong.empty()) {
      ws_->out = std::move(ws_->pong);
      ws_->pong.clear();
      return WriteBytes(ws_->out,
                        [this, bytes, h = std::move(handler)](const ErrorCode& pong_ec) mutable {
                          AfterWrite(pong_ec, bytes, std::move(h));
                        });
    }
    ws_->writing = false;
    std::string().swap(ws_->out);  // an idle connection keeps no write buffer
    handler(ec, ec ? std::size_t{0} : bytes);
  }

  void WriteWaiting() {
    auto done = std::move(ws_->waiting_done);
    ws_->waiting_done = nullptr;
    StartWrite(std::exchange(ws_->waiting, std::string()), ws_->waiting_bytes, std::move(done));
  }

  Socket socket_;
  std::unique_ptr<boost::asio::ssl::stream<Socket&>> tls_;
  std::unique_ptr<std::array<char, kTlsReadBytes>> tls_buffer_;
  std::unique_ptr<WebSocket> ws_;
  std::shared_ptr<PollMailbox> mailbox_;  // long-poll: instead of the socket
};

}  // namespace im::access
