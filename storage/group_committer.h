#pragma once
// Group commit: callers Submit items; a few committer threads each take
// everything queued (up to max_batch) and hand the batch to `commit`, which
// writes it in one transaction and answers every item. Batches form from
// what arrives while earlier batches are committing, so under light load an
// item commits alone at once (no timer adds latency), and under load one
// round trip and one fsync serve many items.
//
// With `gather` > 0, a committer that found a batch not yet full waits up to
// that long for more items first: for writes that may wait a little (acks),
// fewer, larger transactions instead of one per arrival.
//
// Thread-safe. Bounded: Submit refuses an item past max_queued (the caller
// answers it RESOURCE_EXHAUSTED). `commit` runs on a committer thread, may
// block, and must answer every item of its batch exactly once. The destructor
// commits what is queued, then joins.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "common/run_catching.h"

namespace im::storage {

template <typename Item>
class GroupCommitter {
 public:
  using Commit = std::function<void(std::vector<Item>& batch)>;

  GroupCommitter(std::size_t threads, std::size_t max_batch, std::size_t max_queued, Commit commit,
                 std::chrono::microseconds gather = std::chrono::microseconds(0))
      : max_batch_(max_batch),
        max_queued_(max_queued),
        gather_(gather),
        commit_(std::move(commit)) {
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
  }
  ~GroupCommitter() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
  }
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Queues `item`; false (and `item` is left to the caller) when full.
  bool Submit(Item& item) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_ || queue_.size() >= max_queued_) return false;
      queue_.push_back(std::move(item));
    }
    ready_.notify_one();
    return true;
  }

 private:
  void Run() {
    std::vector<Item> batch;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and everything is committed
        if (gather_.count() > 0 && queue_.size() < max_batch_ && !stopping_) {
          // A plain sleep, so arrivals meanwhile wake nobody.
          lock.unlock();
          std::this_thread::sleep_for(gather_);
          lock.lock();
        }
        while (!queue_.empty() && batch.size() < max_batch_) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      // A commit that throws is a bug: its items may go unanswered (their
      // callers' deadlines end them), but the committer and the process live.
      common::RunCatching("storage", [&] {
        commit_(batch);
        return absl::OkStatus();
      }).IgnoreError();
      batch.clear();
    }
  }

  const std::size_t max_batch_;
  const std::size_t max_queued_;
  const std::chrono::microseconds gather_;
  const Commit commit_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace im::storage
