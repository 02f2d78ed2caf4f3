#pragma once
// Receiving messages on a logged-in connection with the delivery guarantee:
// CatchUp() pulls every Sync page (in order, acking as it goes); Handle()
// takes a pushed frame, delivers a message if it is next in order, or catches
// up when it reveals a gap. `deliver` sees each message once, in seq order
// per conversation. Use from one thread.

#include <functional>

#include "absl/status/status.h"
#include "client-cli/delivery_tracker.h"
#include "client-cli/im_client.h"

namespace im::cli {

class Inbox {
 public:
  using Deliver = std::function<void(const client::ChatMessage&)>;

  Inbox(ImClient* client, Deliver deliver) : client_(client), deliver_(std::move(deliver)) {}

  absl::Status CatchUp();
  // For a pushed message frame; other frames are ignored.
  absl::Status Handle(const client::ServerFrame& frame);

  const DeliveryTracker& tracker() const { return tracker_; }

 private:
  absl::Status AckDelivered();

  ImClient* client_;
  Deliver deliver_;
  DeliveryTracker tracker_;
};

}  // namespace im::cli
