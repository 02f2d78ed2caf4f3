#include "bench/send_loop.h"

#include <random>
#include <utility>

#include "client-cli/im_client.h"

namespace im::bench {

SendLoop::SendLoop(BenchDevice& sender, std::size_t sender_index, Target target, std::string tag,
                   WorkerTally& tally, const std::atomic<bool>& measuring)
    : sender_(sender),
      sender_index_(sender_index),
      target_(std::move(target)),
      tag_(std::move(tag)),
      tally_(tally),
      measuring_(measuring),
      timer_(*sender.io()) {}

void SendLoop::StartClosed(int in_flight) {
  closed_loop_ = true;
  for (int i = 0; i < in_flight; ++i) SendOne(NowMicros());
}

void SendLoop::StartOpen(double rate_per_second) {
  interval_us_ = std::max<std::int64_t>(1, static_cast<std::int64_t>(1e6 / rate_per_second));
  // A random phase, so senders do not all fire in the same microsecond.
  thread_local std::mt19937_64 rng(std::random_device{}());
  next_due_us_ = NowMicros() + static_cast<std::int64_t>(rng() % interval_us_);
  ScheduleNext();
}

void SendLoop::ScheduleNext() {
  if (stopped_) return;
  timer_.expires_after(
      std::chrono::microseconds(std::max<std::int64_t>(0, next_due_us_ - NowMicros())));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    const std::int64_t now = NowMicros();
    while (next_due_us_ <= now) {  // behind schedule: send everything that is due
      SendOne(next_due_us_);
      next_due_us_ += interval_us_;
    }
    ScheduleNext();
  });
}

void SendLoop::SendOne(std::int64_t intended_us) {
  if (stopped_) return;
  client::SendMessageRequest request;
  target_(request);
  request.set_text(MessageText(tag_, sender_.user().name, next_n_++, intended_us));
  request.set_client_msg_id(cli::NewClientMessageId());
  ++outstanding_;
  ++tally_.sent;
  sender_.Send(request, [this, intended_us](const client::ServerFrame& r) {
    --outstanding_;
    const std::int64_t now = NowMicros();
    if (r.status().code() != 0) {
      ++tally_.refused;
      if (tally_.first_refusal.empty()) tally_.first_refusal = r.status().message();
      if (closed_loop_ && !stopped_ && retries_owed_++ == 0) {
        // Back off a little rather than spin against a refusing server.
        timer_.expires_after(std::chrono::milliseconds(20));
        timer_.async_wait([this](const boost::system::error_code& ec) {
          if (ec) return;  // cancelled: the loop may be gone
          for (int owed = std::exchange(retries_owed_, 0); owed > 0; --owed) SendOne(NowMicros());
        });
      }
      return;
    }
    ++tally_.acked;
    const auto& ack = r.send_message();
    tally_.acked_messages.push_back(
        {ack.msg_id(), ack.conv_id(), ack.seq(), intended_us, sender_index_});
    if (measuring_.load(std::memory_order_relaxed)) tally_.ack_us.Record(now - intended_us);
    if (closed_loop_) SendOne(now);
  });
}

}  // namespace im::bench
