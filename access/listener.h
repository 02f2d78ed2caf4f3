#pragma once
// Accepts connections on one address and hands each accepted socket to
// `on_accept`, on the io_context it will live on (IoPool::Next, round robin).
// ClientConnections() is the `on_accept` of the client ports (TCP and
// WebSocket): a Connection for each, registered under a new connection id,
// or refused with an error frame when the registry's caps (in all, per source
// address) are reached. Accept errors (e.g. out of file descriptors) are
// logged and retried after a pause, never spun on. Start/Stop may be called
// from any thread.

#include <atomic>
// clang-format off
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20)
#include <boost/asio.hpp>
// clang-format on
#include <cstdint>
#include <functional>

#include "access/connection.h"
#include "access/connection_registry.h"
#include "access/io_pool.h"

namespace im::access {

class Listener {
 public:
  using OnAccept = std::function<void(Connection::Socket socket)>;

  Listener(IoPool& pool, const boost::asio::ip::tcp::endpoint& endpoint, OnAccept on_accept);

  // Starts a Connection with `options` for each socket (all must outlive the listener).
  static OnAccept ClientConnections(const ConnectionOptions& options, RequestGateway* logic,
                                    ConnectionRegistry* registry, LoginAdmission* admission);
  // The registry's key of a socket's peer address.
  static ConnectionRegistry::Address PeerKey(const Connection::Socket& socket);

  void Start();
  void Stop();
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  void Accept();

  IoPool& pool_;  // the acceptor runs on its first context; connections on each in turn
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  const OnAccept on_accept_;
};

}  // namespace im::access
