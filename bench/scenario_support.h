#pragma once
// What the scenarios share: the measured window, per-thread tallies and their
// sums, latency rows, the settle phase and the loss check.

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "bench/fleet.h"
#include "bench/scenarios.h"
#include "bench/send_loop.h"

namespace im::bench {

// One WorkerTally per load-generator thread (a deque: tallies hold atomics).
using Tallies = std::deque<WorkerTally>;

std::uint64_t Sum(const Tallies& t, std::atomic<std::uint64_t> WorkerTally::*counter);
LatencyHistogram Merged(const Tallies& t, LatencyHistogram WorkerTally::*histogram);

// Adds "<name> p50/p90/p99/p99.9/max" rows, in milliseconds; p50 and p99
// are headlines when `headline`.
void AddLatency(Report& report, const std::string& name, const LatencyHistogram& h,
                bool headline = false);

// The measured window: usage snapshots at its edges.
class Window {
 public:
  explicit Window(ProcessUsage* usage) : usage_(usage) {}
  void Begin() { start_ = usage_->Take(); }
  void End() { end_ = usage_->Take(); }
  WindowUsage usage() const { return usage_->Between(start_, end_); }
  double seconds() const { return end_.wall_seconds - start_.wall_seconds; }

 private:
  ProcessUsage* usage_;
  UsageSnapshot start_, end_;
};

void SleepSeconds(double seconds);

// Starts a SendLoop for `device` (index `i` in `fleet`), owned by the fleet:
// an open loop at `rate` msgs/s if rate > 0, else a closed loop of
// `in_flight`. Call on the device's thread.
SendLoop* StartSender(Fleet& fleet, BenchDevice& device, std::size_t i, SendLoop::Target target,
                      const std::string& tag, WorkerTally& tally,
                      const std::atomic<bool>& measuring, double rate, int in_flight);
// Stops every loop (nullptr entries are skipped) and returns how many sends
// are still unanswered, for Settle.
void StopSenders(Fleet& fleet, const std::vector<SendLoop*>& loops);
int Outstanding(Fleet& fleet, const std::vector<SendLoop*>& loops);

// What the tallies counted in one measured window.
struct WindowTotals {
  double seconds = 0;
  double sent = 0, acked = 0, delivered = 0;
  std::int64_t start_us = 0, end_us = 0;  // NowMicros() at its edges
  WindowUsage usage;
};
// Waits out the warm-up, then measures one window of `seconds`, with
// `measuring` set while it lasts.
WindowTotals MeasureWindow(const BenchContext& context, const Tallies& tallies,
                           std::atomic<bool>& measuring);

// Waits (up to `timeout`) until `done()` holds, checking every 20 ms.
bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout);

// The first `n` seeded users, or a failure on the report if there are fewer.
bool TakeUsers(const BenchContext& context, std::size_t n, std::vector<BenchUser>* users,
               Report* report);

// Every tally's acked messages, copied on the threads that wrote them.
std::vector<WorkerTally::Acked> GatherAcked(Fleet& fleet, Tallies& tallies);

// The loss check, after Settle: `expected(i)` lists the msg_ids device i must
// hold (nullptr: none). Sets counts->lost to those a settled device lacks and
// counts->unsettled to the devices expected to hold something whose last
// sync did not finish. Runs on the devices' threads.
void CountLost(Fleet& fleet,
               const std::function<const std::vector<std::uint64_t>*(std::size_t)>& expected,
               DeliveryCounts* counts);

// Adds the first refusal any sender got to the report's parameters.
void NoteRefusal(Fleet& fleet, Tallies& tallies, Report* report);

// Ends a message run: waits for outstanding sends, lets pushes arrive, then
// has every device sync to the end so that only a real loss stays missing.
void Settle(Fleet& fleet, const std::function<int()>& outstanding);

}  // namespace im::bench
