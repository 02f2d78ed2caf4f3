#pragma once
// Accepts client connections on one address and starts a Connection for each,
// registered under a new connection id, or refuses it with an error frame when
// the registry's caps (in all, per source address) are reached. Connection ids are unique across
// restarts of this node in practice (they start from the start time), so a
// stale route never names a new connection. Accept errors (e.g. out of file
// descriptors) are logged and retried after a pause, never spun on.
// Start/Stop may be called from any thread.

#include <atomic>
// clang-format off
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20)
#include <boost/asio.hpp>
// clang-format on
#include <cstdint>

#include "access/connection.h"
#include "access/connection_registry.h"
#include "access/io_pool.h"

namespace im::access {

class Listener {
 public:
  Listener(IoPool& pool, const boost::asio::ip::tcp::endpoint& endpoint,
           const ConnectionOptions& options, RequestGateway* logic, ConnectionRegistry* registry,
           LoginAdmission* admission);

  void Start();
  void Stop();
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  void Accept();
  static ConnectionRegistry::Address AddressKey(const boost::asio::ip::address& address);

  IoPool& pool_;  // the acceptor runs on its first context; connections on each in turn
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  const ConnectionOptions& options_;
  RequestGateway* logic_;
  ConnectionRegistry* registry_;
  LoginAdmission* admission_;
  std::atomic<std::uint64_t> next_conn_id_;
};

}  // namespace im::access
