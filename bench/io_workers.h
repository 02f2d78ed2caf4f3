#pragma once
// The load generator's threads: one io_context per thread, so everything a
// connection does happens on one thread without locks. Work is spread by
// index (connection i lives on worker i % size()).
//
// Threading: the public functions are for the controlling thread (main).
// RunOnEach blocks until every worker has run the function. The destructor
// lets each thread finish what is pending (cancelled operations complete)
// for up to five seconds, then stops and joins it.

// clang-format off
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20)
#include <boost/asio.hpp>
// clang-format on
#include <chrono>
#include <functional>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

namespace im::bench {

class IoWorkers {
 public:
  explicit IoWorkers(int threads) {
    for (int i = 0; i < threads; ++i) {
      contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
      guards_.emplace_back(contexts_.back()->get_executor());
    }
    for (auto& io : contexts_) threads_.emplace_back([&io = *io] { io.run(); });
  }
  ~IoWorkers() {
    guards_.clear();
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (auto& io : contexts_) {
      while (!io->stopped() && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      io->stop();
    }
    for (auto& t : threads_) t.join();
  }
  IoWorkers(const IoWorkers&) = delete;
  IoWorkers& operator=(const IoWorkers&) = delete;

  int size() const { return static_cast<int>(contexts_.size()); }
  boost::asio::io_context& context(int worker) { return *contexts_[worker % contexts_.size()]; }

  // Runs `fn(worker)` on every worker's thread and waits for all of them.
  void RunOnEach(const std::function<void(int worker)>& fn) {
    std::latch done(size());
    for (int i = 0; i < size(); ++i) {
      boost::asio::post(*contexts_[i], [&fn, &done, i] {
        fn(i);
        done.count_down();
      });
    }
    done.wait();
  }

 private:
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
};

}  // namespace im::bench
