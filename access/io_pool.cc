#include "access/io_pool.h"

namespace im::access {

IoPool::IoPool(std::size_t threads) {
  for (std::size_t i = 0; i < std::max<std::size_t>(1, threads); ++i) {
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));  // one thread each
    work_.push_back(boost::asio::make_work_guard(*contexts_.back()));
  }
}

IoPool::~IoPool() { Stop(); }

boost::asio::io_context& IoPool::Next() {
  boost::asio::io_context& io = *contexts_[next_];
  next_ = (next_ + 1) % contexts_.size();
  return io;
}

void IoPool::Run() {
  for (auto& io : contexts_) threads_.emplace_back([&io = *io] { io.run(); });
}

void IoPool::Stop() {
  work_.clear();
  for (auto& io : contexts_) io->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace im::access
