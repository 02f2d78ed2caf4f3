#include "client-cli/inbox.h"

#include <algorithm>
#include <iterator>

namespace im::cli {
namespace {

constexpr std::uint32_t kSyncPage = 200;

}  // namespace

absl::Status Inbox::CatchUp(std::uint64_t conv_id) {
  // Acks held back first, so the server does not send those messages again.
  if (absl::Status s = AckDelivered(); !s.ok()) return s;
  for (;;) {
    client::ClientFrame sync;
    sync.mutable_sync()->set_limit(kSyncPage);
    sync.mutable_sync()->set_conv_id(conv_id);
    auto page = client_->Request(std::move(sync));
    if (!page.ok()) return page.status();
    bool progressed = false;
    for (const auto& m : page->sync().messages()) {
      if (auto it = confirmed_.find(m.conv_id()); it != confirmed_.end() && m.seq() <= it->second) {
        ++redelivered_after_ack_;
      }
      if (tracker_.OfferSynced(m) == DeliveryTracker::Verdict::kDeliver) {
        deliver_(m);
        progressed = true;
      }
    }
    if (absl::Status s = AckDelivered(); !s.ok()) return s;
    if (!page->sync().more()) {
      ReleaseHeld();  // sync delivered them, or made them next in order
      notified_ = false;
      waiting_since_ = std::chrono::steady_clock::now();  // any left wait another window
      return AckDelivered();
    }
    // A full page with nothing new would repeat forever.
    if (!progressed) return absl::InternalError("sync made no progress");
  }
}

absl::Status Inbox::Handle(const client::ServerFrame& frame) {
  if (frame.has_notice()) {
    // A large group's message was announced, not sent: pull it.
    if (tracker_.contiguous(frame.notice().conv_id()) >= frame.notice().max_seq()) {
      return absl::OkStatus();
    }
    const std::uint64_t conv_id = frame.notice().conv_id();
    if (options_.reorder_window.count() == 0) return CatchUp(conv_id);
    // Within the window, one sync serves every notice that arrives.
    if (!notified_) waiting_since_ = std::chrono::steady_clock::now();
    notified_conv_ = !notified_ || notified_conv_ == conv_id ? conv_id : 0;
    notified_ = true;
    return Flush();
  }
  if (!frame.has_message()) return absl::OkStatus();
  const client::ChatMessage& message = frame.message();
  switch (tracker_.OfferPush(message)) {
    case DeliveryTracker::Verdict::kDeliver:
      return DeliverPushed(message);
    case DeliveryTracker::Verdict::kDuplicate:
      return absl::OkStatus();
    case DeliveryTracker::Verdict::kNeedSync:
      // A conversation this device has not synced yet cannot be reordered.
      if (options_.reorder_window.count() == 0 || tracker_.contiguous(message.conv_id()) == 0) {
        return CatchUp();
      }
      if (held_.empty() && !notified_) waiting_since_ = std::chrono::steady_clock::now();
      held_[message.conv_id()][message.seq()] = message;
      return Flush();
  }
  return absl::OkStatus();
}

absl::Status Inbox::Flush() {
  if ((!held_.empty() || notified_) &&
      std::chrono::steady_clock::now() - waiting_since_ >= options_.reorder_window) {
    // Announced messages (of one conversation: sync only that one), or
    // pushes that never came.
    return CatchUp(held_.empty() ? notified_conv_ : 0);
  }
  return AckDelivered();
}

absl::Status Inbox::DeliverPushed(const client::ChatMessage& message) {
  deliver_(message);
  ReleaseHeld();
  if (std::chrono::steady_clock::now() - last_ack_ < options_.ack_every) {
    return absl::OkStatus();
  }
  return AckDelivered();
}

void Inbox::ReleaseHeld() {
  for (auto conv = held_.begin(); conv != held_.end();) {
    auto& waiting = conv->second;
    while (!waiting.empty() && waiting.begin()->first <= tracker_.contiguous(conv->first) + 1) {
      const client::ChatMessage next = std::move(waiting.begin()->second);
      waiting.erase(waiting.begin());
      if (tracker_.OfferPush(next) == DeliveryTracker::Verdict::kDeliver) deliver_(next);
    }
    conv = waiting.empty() ? held_.erase(conv) : std::next(conv);
  }
}

absl::Status Inbox::AckDelivered() {
  auto acks = tracker_.TakeAcks();
  if (acks.empty()) return absl::OkStatus();
  last_ack_ = std::chrono::steady_clock::now();
  client::ClientFrame ack;
  for (const auto& a : acks) *ack.mutable_ack()->add_acks() = a;
  absl::Status status = client_->Request(std::move(ack)).status();
  if (status.ok()) {
    for (const auto& a : acks) confirmed_[a.conv_id()] = std::max(confirmed_[a.conv_id()], a.seq());
  } else {
    tracker_.Unack(acks);  // send them again with the next ack
  }
  return status;
}

}  // namespace im::cli
