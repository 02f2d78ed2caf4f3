#pragma once
// A bounded pool of database connections of type Conn (MysqlConnection,
// RedisConnection). At most `size` connections exist; Acquire() blocks while
// all are leased. Connections are made lazily by `connect`, so the daemon
// starts (and recovers) while the database is down: Acquire() then returns the
// connect error (UNAVAILABLE) and the next call tries again. A lease whose
// connection reports broken() is discarded on return instead of reused.
// Thread-safe. Conn must have `bool broken() const`.

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"

namespace im::storage {

template <typename Conn>
class ConnectionPool {
 public:
  using Connector = std::function<absl::StatusOr<std::unique_ptr<Conn>>()>;

  // Returns the connection to the pool when destroyed.
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Conn> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_ != nullptr && conn_ != nullptr) pool_->Release(std::move(conn_));
    }
    Conn* operator->() const { return conn_.get(); }
    Conn& operator*() const { return *conn_; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Conn> conn_;
  };

  ConnectionPool(Connector connect, std::size_t size) : connect_(std::move(connect)), size_(size) {}

  absl::StatusOr<Lease> Acquire() {
    std::unique_lock lock(mutex_);
    released_.wait(lock, [this] { return !idle_.empty() || leased_ + idle_.size() < size_; });
    ++leased_;
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    lock.unlock();
    auto conn = connect_();
    if (!conn.ok()) {
      std::lock_guard relock(mutex_);
      --leased_;
      released_.notify_one();
      return conn.status();
    }
    return Lease(this, std::move(*conn));
  }

 private:
  void Release(std::unique_ptr<Conn> conn) {
    {
      std::lock_guard lock(mutex_);
      --leased_;
      if (!conn->broken()) idle_.push_back(std::move(conn));
    }
    released_.notify_one();
  }

  Connector connect_;
  const std::size_t size_;
  std::mutex mutex_;
  std::condition_variable released_;
  std::vector<std::unique_ptr<Conn>> idle_;
  std::size_t leased_ = 0;
};

}  // namespace im::storage
