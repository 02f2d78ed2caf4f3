#pragma once
// Receiving messages on a logged-in connection with the delivery guarantee:
// CatchUp() pulls every Sync page (in order, acking as it goes; INTERNAL if
// the server keeps returning a page with nothing new); Handle()
// takes a pushed frame, delivers a message if it is next in order, or catches
// up when it reveals a gap or announces messages this device does not have
// (a ConversationNotice, sent instead of messages in large groups). `deliver` sees each message
// once, in seq order per conversation. Use from one thread.

#include <cstdint>
#include <functional>
#include <map>

#include "absl/status/status.h"
#include "client-cli/delivery_tracker.h"
#include "client-cli/im_client.h"

namespace im::cli {

class Inbox {
 public:
  using Deliver = std::function<void(const client::ChatMessage&)>;

  Inbox(ImClient* client, Deliver deliver) : client_(client), deliver_(std::move(deliver)) {}

  absl::Status CatchUp();
  // For a pushed message or notice frame; other frames are ignored.
  absl::Status Handle(const client::ServerFrame& frame);

  const DeliveryTracker& tracker() const { return tracker_; }

  // Sync results at or below a seq whose ack the server confirmed: the server
  // delivered them again after the ack (a broken guarantee, counted for tests).
  std::uint64_t redelivered_after_ack() const { return redelivered_after_ack_; }

  // Starts over on a new connection (reconnect): what was delivered and
  // confirmed is kept, like a client's local store.
  void Rebind(ImClient* client) { client_ = client; }

 private:
  absl::Status AckDelivered();

  ImClient* client_;
  Deliver deliver_;
  DeliveryTracker tracker_;
  std::map<std::uint64_t, std::uint64_t> confirmed_;  // conv_id -> acked seq the server took
  std::uint64_t redelivered_after_ack_ = 0;
};

}  // namespace im::cli
