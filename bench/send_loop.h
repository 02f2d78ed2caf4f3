#pragma once
// One sender device's traffic: a closed loop (`in_flight` messages always
// outstanding) or an open loop (`rate` messages per second at fixed intended
// times, sent late if the cluster falls behind, never skipped). Each text
// carries its intended send time, so latency is measured from when a message
// was due, not from when a backed-up sender got round to it (no coordinated
// omission), and any receiver in any process can measure it.
//
// Threading: construct, Start, Stop and destroy on the sender device's thread,
// while its io_context runs (Fleet::Adopt does this), after the device's
// connection is dropped.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bench/bench_device.h"
#include "bench/latency_histogram.h"

namespace im::bench {

// What one thread's senders and receivers saw. Counters are atomics that the
// controlling thread reads at the window's edges; the rest is touched only by
// the worker thread and read after the run.
struct WorkerTally {
  std::atomic<std::uint64_t> sent{0}, acked{0}, refused{0}, delivered{0};
  LatencyHistogram ack_us, deliver_us;  // within the measured window only
  struct Acked {
    std::uint64_t msg_id, conv_id, seq;
    std::int64_t intended_us;
    std::size_t sender;  // the sending device's index in its fleet
  };
  std::vector<Acked> acked_messages;  // every ack of the run, for the loss check
  std::string first_refusal;
};

class SendLoop {
 public:
  // Sets the destination (to_user or group_id) of each request.
  using Target = std::function<void(client::SendMessageRequest&)>;

  SendLoop(BenchDevice& sender, std::size_t sender_index, Target target, std::string tag,
           WorkerTally& tally, const std::atomic<bool>& measuring);

  void StartClosed(int in_flight);
  void StartOpen(double rate_per_second);
  void Stop() { stopped_ = true; }
  int outstanding() const { return outstanding_; }

 private:
  void SendOne(std::int64_t intended_us);
  void ScheduleNext();

  BenchDevice& sender_;
  std::size_t sender_index_;
  Target target_;
  std::string tag_;
  WorkerTally& tally_;
  const std::atomic<bool>& measuring_;
  boost::asio::steady_timer timer_;
  bool stopped_ = false;
  bool closed_loop_ = false;
  int outstanding_ = 0;
  int retries_owed_ = 0;  // closed loop: refused sends to make again after a pause
  std::uint64_t next_n_ = 0;
  std::int64_t interval_us_ = 0;
  std::int64_t next_due_us_ = 0;
};

}  // namespace im::bench
