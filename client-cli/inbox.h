#pragma once
// Receiving messages on a logged-in connection with the delivery guarantee:
// CatchUp() pulls every Sync page (in order, acking as it goes; INTERNAL if
// the server keeps returning a page with nothing new); Handle()
// takes a pushed frame, delivers a message if it is next in order, or catches
// up when it reveals a gap (at once, or after a reorder window) or announces
// messages this device does not have (a ConversationNotice, sent instead of
// messages in large groups). `deliver` sees each message
// once, in seq order per conversation. Use from one thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>

#include "absl/status/status.h"
#include "client-cli/delivery_tracker.h"
#include "client-cli/im_client.h"

namespace im::cli {

struct InboxOptions {
  // Pushed messages are acked at once (0), or at most once per interval, as a
  // busy client would. Sync pages are always acked before the next page.
  std::chrono::milliseconds ack_every{0};
  // A push that skips ahead of what the device has (pushes of concurrent
  // sends may cross on the way) is held this long for the missing ones
  // before the inbox syncs; notices arriving within it share one sync
  // (0: sync at once).
  std::chrono::milliseconds reorder_window{0};
};

class Inbox {
 public:
  using Deliver = std::function<void(const client::ChatMessage&)>;

  Inbox(ImClient* client, Deliver deliver, InboxOptions options = {})
      : client_(client), deliver_(std::move(deliver)), options_(options) {}

  // With a conv_id: that conversation only (what a notice asks for).
  absl::Status CatchUp(std::uint64_t conv_id = 0);
  // For a pushed message or notice frame; other frames are ignored.
  absl::Status Handle(const client::ServerFrame& frame);
  // Call when idle: syncs if a held push waited out the reorder window, and
  // sends the acks held back by ack_every.
  absl::Status Flush();

  // Call with each acked send of this device: its own message is not
  // delivered back to it (DeliveryTracker::OfferOwn).
  void NoteOwnSend(const client::SendMessageResponse& sent) {
    tracker_.OfferOwn(sent.conv_id(), sent.seq());
  }

  const DeliveryTracker& tracker() const { return tracker_; }

  // Sync results at or below a seq whose ack the server confirmed: the server
  // delivered them again after the ack (a broken guarantee, counted for tests).
  std::uint64_t redelivered_after_ack() const { return redelivered_after_ack_; }

  // Starts over on a new connection (reconnect): what was delivered and
  // confirmed is kept, like a client's local store.
  void Rebind(ImClient* client) { client_ = client; }

 private:
  using TimePoint = std::chrono::steady_clock::time_point;

  absl::Status AckDelivered();
  // Delivers a pushed message (and held ones it makes next in order).
  absl::Status DeliverPushed(const client::ChatMessage& message);
  // Offers the held pushes again after the device moved on; drops old ones.
  void ReleaseHeld();

  ImClient* client_;
  Deliver deliver_;
  InboxOptions options_;
  TimePoint last_ack_;
  std::map<std::uint64_t, std::map<std::uint64_t, client::ChatMessage>> held_;  // conv -> seq
  bool notified_ = false;            // a notice announced messages this device lacks
  std::uint64_t notified_conv_ = 0;  // in this conversation (0: in several)
  TimePoint waiting_since_;          // since when held_ or notified_ wait for a sync
  DeliveryTracker tracker_;
  std::map<std::uint64_t, std::uint64_t> confirmed_;  // conv_id -> acked seq the server took
  std::uint64_t redelivered_after_ack_ = 0;
};

}  // namespace im::cli
