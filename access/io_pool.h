#pragma once
// One io_context per network thread (muduo's "one loop per thread"): each
// connection lives on one context for its whole life, so its handlers never
// run concurrently and it needs no strand: a connection costs only its socket,
// its pending wait and its own state. Next() spreads new connections round
// robin. Run() starts the threads; Stop() ends them and joins (also done by
// the destructor). Next() is called from the listener's thread only.

// clang-format off
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20)
#include <boost/asio.hpp>
// clang-format on
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace im::access {

class IoPool {
 public:
  explicit IoPool(std::size_t threads);
  ~IoPool();

  boost::asio::io_context& Next();
  boost::asio::io_context& first() { return *contexts_.front(); }
  std::size_t size() const { return contexts_.size(); }
  void Run();
  void Stop();

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<WorkGuard> work_;
  std::vector<std::thread> threads_;
  std::size_t next_ = 0;
};

}  // namespace im::access
