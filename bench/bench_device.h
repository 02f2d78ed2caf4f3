#pragma once
// One device of a seeded user under load, behaving as a real client does: it
// logs in with the user's session token, catches up with Sync, takes pushed
// messages in seq order (DeliveryTracker), syncs on a gap (or the one
// conversation a notice names), and
// acks what it has with at most one ack in flight (acks that queue meanwhile
// leave together). A sync refused for a passing reason is tried again after
// a pause while the connection lasts. While recording, it checks every delivery for the
// delivery checker (see DeliveryCounts) and passes it on.
//
// Threading: all calls on the thread of the io_context given at construction.
// The owner keeps the device alive until that io_context has stopped.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "absl/status/status.h"
#include "bench/bench_connection.h"
#include "bench/report.h"
#include "bench/retry_policy.h"
#include "client-cli/delivery_tracker.h"

namespace im::bench {

// A user made by `im-bench seed`, with the token of its "bench" device.
struct BenchUser {
  std::string name;
  std::string token;
};

// Microseconds on CLOCK_MONOTONIC: comparable across the bench's processes.
std::int64_t NowMicros();

// A bench message's text: "<tag> <sender> <n> <intended send time, us>".
std::string MessageText(const std::string& tag, const std::string& sender, std::uint64_t n,
                        std::int64_t intended_us);
// The intended send time in a text this run made (tag and sender match), or -1.
std::int64_t IntendedMicros(const std::string& text, const std::string& tag,
                            const std::string& sender);

class BenchDevice {
 public:
  using Done = std::function<void(absl::Status)>;
  using OnMessage = std::function<void(const client::ChatMessage&, std::int64_t intended_us,
                                       std::int64_t now_us)>;
  using OnNotice = std::function<void(const client::ConversationNotice&, std::int64_t now_us)>;

  BenchDevice(boost::asio::io_context& io, BenchUser user, std::string run_tag)
      : io_(io), user_(std::move(user)), tag_(std::move(run_tag)) {}

  // Connects, logs in with the token and syncs to the end (what it finds is
  // taken and acked, not recorded). Safe to call again after Drop().
  void Start(const ServerAddress& server, const boost::asio::ip::address& source,
             Done done);
  // From now on deliveries are checked and passed to `on_message`.
  void Record(OnMessage on_message, OnNotice on_notice = nullptr);
  // Sends (fills in nothing: the caller sets target, text, client_msg_id).
  void Send(const client::SendMessageRequest& request, BenchConnection::FrameHandler done);
  // Pulls everything the server has for this device (or, with a conv_id, in
  // that conversation only: what a notice asks for); `done` when caught up.
  void SyncNow(Done done, std::uint64_t conv_id = 0);
  // Closes the connection (what was delivered and confirmed is kept).
  void Drop();

  bool connected() const { return conn_ != nullptr && conn_->open(); }
  bool Has(std::uint64_t msg_id) const { return delivered_ids_.count(msg_id) != 0; }
  // "user=... convs=conv:seq,..." (what it has), for reports of a loss.
  std::string Describe() const;
  // Whether the last sync asked for reached the end (false while it runs, if
  // it gave up, or if none ran).
  bool synced() const { return synced_; }
  const BenchUser& user() const { return user_; }
  boost::asio::io_context* io() { return &io_; }
  const DeliveryCounts& counts() const { return counts_; }
  BenchConnection* connection() { return conn_.get(); }

 private:
  void OnEvent(const client::ServerFrame& frame);
  void OnPushed(const client::ChatMessage& message);
  void Deliver(const client::ChatMessage& message);
  void AckThenSync();
  void SyncPage();
  void FinishSync(const absl::Status& status);
  // Sends what the tracker has to ack; `then` gets the ack's outcome (OK when
  // there was nothing to ack).
  void Ack(std::function<void(absl::Status)> then = nullptr);

  boost::asio::io_context& io_;
  BenchUser user_;
  std::string tag_;
  std::shared_ptr<BenchConnection> conn_;
  cli::DeliveryTracker tracker_;
  std::unordered_map<std::uint64_t, std::uint64_t> confirmed_;  // conv -> seq the server took
  std::unordered_map<std::uint64_t, std::uint64_t> last_seq_;   // conv -> last delivered
  std::unordered_set<std::uint64_t> delivered_ids_;
  DeliveryCounts counts_;
  bool recording_ = false;
  OnMessage on_message_;
  OnNotice on_notice_;

  std::shared_ptr<boost::asio::steady_timer> retry_timer_;  // a refused sync, tried again
  int sync_failures_ = 0;
  bool syncing_ = false;
  bool synced_ = false;
  bool sync_again_ = false;
  std::uint64_t sync_conv_ = 0;   // the running sync's conversation (0: all)
  std::uint64_t again_conv_ = 0;  // what sync_again_ asks for (0: all)
  std::vector<Done> sync_waiters_;
  bool ack_in_flight_ = false;
  bool ack_again_ = false;
  std::vector<std::function<void(absl::Status)>> ack_waiters_;
};

}  // namespace im::bench
