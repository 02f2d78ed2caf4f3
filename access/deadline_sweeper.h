#pragma once
// Enforces the connections' login, idle and flush deadlines with one timer per
// process instead of one per connection: every `period` it asks the registry
// for the connections whose deadline passed and has each check it on its own
// thread (Connection::CheckDeadline). A deadline is acted on at most `period`
// late. `io` must be run by one thread (an IoPool context). Start/Stop from any
// thread; the registry outlives the sweeper.

// clang-format off
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20)
#include <boost/asio.hpp>
// clang-format on
#include <chrono>

namespace im::access {

class ConnectionRegistry;

class DeadlineSweeper {
 public:
  DeadlineSweeper(boost::asio::io_context& io, ConnectionRegistry* registry,
                  std::chrono::milliseconds period);

  void Start();
  void Stop();

 private:
  void Arm();

  boost::asio::steady_timer timer_;
  bool stopped_ = false;  // on io's thread
  ConnectionRegistry* registry_;
  const std::chrono::milliseconds period_;
};

}  // namespace im::access
