#pragma once
// The devices of one scenario run, spread over the load generator's threads
// and over the cluster's access nodes, each connecting from its own
// 127.x.y.z source address. The fleet owns the threads and the devices and
// tears them down in the only safe order: connections closed on their own
// threads, then the threads stopped, then the devices freed.
//
// Threading: the public functions are for the controlling thread. Device i
// lives on worker i % threads; code that touches it runs there (RunOnEach).

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_device.h"
#include "bench/io_workers.h"

namespace im::bench {

// Source address for connection `index`: 127.1.0.1, 127.1.0.2, ... spread
// so that no address carries more than 250 connections.
boost::asio::ip::address SourceAddress(std::size_t index);

class Fleet {
 public:
  Fleet(std::vector<ServerAddress> servers, int threads, std::string run_tag);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // Adds a device for `user` (not started). Returns its index.
  std::size_t Add(const BenchUser& user);
  std::size_t size() const { return devices_.size(); }
  BenchDevice& device(std::size_t i) { return *devices_[i]; }
  int worker_of(std::size_t i) const { return static_cast<int>(i % workers_->size()); }
  int threads() const { return workers_->size(); }
  boost::asio::io_context& context(int worker) { return workers_->context(worker); }

  // Starts devices [first, last) (connect, token login, catch up), at most
  // `concurrency` at a time per thread, within `timeout`. A start refused
  // for a passing reason (unavailable, busy, timed out) is tried again after
  // a growing, jittered pause, as a real client would. Returns how many are
  // up; the first error is kept in *error, the number of retries in *retries.
  std::size_t Start(std::size_t first, std::size_t last, int concurrency,
                    std::chrono::milliseconds timeout, std::string* error,
                    std::uint64_t* retries = nullptr);
  std::size_t StartAll(int concurrency, std::chrono::milliseconds timeout, std::string* error) {
    return Start(0, size(), concurrency, timeout, error);
  }

  // Runs `fn(worker)` on every thread and waits.
  void RunOnEach(const std::function<void(int worker)>& fn) { workers_->RunOnEach(fn); }
  // Runs `fn(device)` for every device, each on its own thread, and waits.
  void ForEachDevice(const std::function<void(BenchDevice&, std::size_t index)>& fn);

  // Sends a Ping on every open connection, every `interval`, until stopped.
  void StartHeartbeats(std::chrono::milliseconds interval);

  // Keeps `thing` (e.g. a SendLoop) until teardown, when it is freed on
  // `worker`'s thread after that thread's devices have dropped their
  // connections and before the thread stops.
  void Adopt(int worker, std::shared_ptr<void> thing) {
    owned_[worker].push_back(std::move(thing));
  }

  // Sums every device's delivery counts.
  DeliveryCounts Counts();

 private:
  struct StartRun;  // one Start() call's progress, shared with its callbacks
  void StartNext(int worker, const std::shared_ptr<StartRun>& run);
  void StartOne(int worker, std::size_t i, int attempt, const std::shared_ptr<StartRun>& run);
  void Heartbeat(int worker);

  std::vector<ServerAddress> servers_;
  std::string tag_;
  std::vector<std::unique_ptr<BenchDevice>> devices_;  // destroyed after workers_
  std::unique_ptr<IoWorkers> workers_;
  std::vector<std::unique_ptr<boost::asio::steady_timer>> heartbeat_timers_;
  std::vector<std::vector<std::shared_ptr<void>>> owned_;  // per worker
  std::chrono::milliseconds heartbeat_interval_{0};
};

}  // namespace im::bench
