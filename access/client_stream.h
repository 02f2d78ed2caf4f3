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

// clang-format off
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20)
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
// clang-format on
#include <array>
#include <memory>
#include <string_view>

namespace im::access {

class ClientStream {
 public:
  using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp,
                                                  boost::asio::io_context::executor_type>;
  using ErrorCode = boost::system::error_code;
  static constexpr std::size_t kPlainReadChunkBytes = 64 * 1024;
  static constexpr std::size_t kTlsReadBytes = 8 * 1024;

  // `tls` null: plain TCP. Otherwise it must outlive the stream.
  ClientStream(Socket socket, boost::asio::ssl::context* tls) : socket_(std::move(socket)) {
    if (tls != nullptr) tls_ = std::make_unique<boost::asio::ssl::stream<Socket&>>(socket_, *tls);
  }

  bool is_tls() const { return tls_ != nullptr; }
  auto get_executor() { return socket_.get_executor(); }
  Socket& socket() { return socket_; }

  // Sets the socket options a client connection wants.
  void Prepare() {
    ErrorCode ec;
    if (!tls_) socket_.non_blocking(true, ec);
    socket_.set_option(boost::asio::ip::tcp::no_delay(true), ec);
  }

  // handler(error): the TLS handshake (server side) finished; at once for TCP.
  template <typename Handler>
  void Handshake(Handler handler) {
    if (!tls_)
      return boost::asio::post(socket_.get_executor(),
                               [h = std::move(handler)]() mutable { h(ErrorCode()); });
    tls_->async_handshake(boost::asio::ssl::stream_base::server, std::move(handler));
  }

  // handler(error, std::string_view bytes): the next bytes that arrived.
  template <typename Handler>
  void Read(Handler handler) {
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
  Socket socket_;
  std::unique_ptr<boost::asio::ssl::stream<Socket&>> tls_;
  std::unique_ptr<std::array<char, kTlsReadBytes>> tls_buffer_;
};

}  // namespace im::access
