#pragma once
// A bounded pool of database connections of type Conn (MysqlConnection,
// RedisConnection). At most `size` connections exist; Acquire() blocks while
// all are leased. Connections are made lazily by `connect`, so the daemon
// starts (and recovers) while the database is down: Acquire() then returns the
// connect error (UNAVAILABLE) and the next call tries again. A lease whose
// connection reports broken() is discarded on return instead of reused.
// Thread-safe. Conn must have `bool broken() const`.
//
// ExportTo() shows the pool in metrics (labelled pool="NAME"): connections
// leased and idle, the size, and the acquires that had to wait for a
// connection and the time they waited. The pool must outlive the Metrics'
// last Render().

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/metrics.h"

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
    auto available = [this] { return !idle_.empty() || leased_ + idle_.size() < size_; };
    if (!available()) {
      const auto started = std::chrono::steady_clock::now();
      released_.wait(lock, available);
      waits_.fetch_add(1, std::memory_order_relaxed);
      wait_ns_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count(),
                         std::memory_order_relaxed);
    }
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

  void ExportTo(common::Metrics* metrics, const std::string& name) {
    const common::MetricLabels pool{{"pool", name}};
    metrics->Sample(
        "im_storage_pool_size", "Connections a pool may hold.", "gauge",
        [this] { return static_cast<double>(size_); }, pool);
    metrics->Sample("im_storage_pool_connections", "A pool's open connections, leased or idle.",
                    "gauge", [this] { return static_cast<double>(Counts().first); },
                    {{"pool", name}, {"state", "leased"}});
    metrics->Sample("im_storage_pool_connections", "A pool's open connections, leased or idle.",
                    "gauge", [this] { return static_cast<double>(Counts().second); },
                    {{"pool", name}, {"state", "idle"}});
    metrics->Sample(
        "im_storage_pool_waits_total",
        "Acquires that found every connection of the pool leased and waited.", "counter",
        [this] { return static_cast<double>(waits_.load(std::memory_order_relaxed)); }, pool);
    metrics->Sample(
        "im_storage_pool_wait_seconds_total", "Time those acquires waited.", "counter",
        [this] { return wait_ns_.load(std::memory_order_relaxed) / 1e9; }, pool);
  }

 private:
  std::pair<std::size_t, std::size_t> Counts() {  // leased, idle
    std::lock_guard lock(mutex_);
    return {leased_, idle_.size()};
  }

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
  std::atomic<std::uint64_t> waits_{0};
  std::atomic<std::int64_t> wait_ns_{0};
};

}  // namespace im::storage
