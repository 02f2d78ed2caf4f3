#include "client-cli/inbox.h"

#include <algorithm>

namespace im::cli {
namespace {

constexpr std::uint32_t kSyncPage = 200;

}  // namespace

absl::Status Inbox::CatchUp() {
  for (;;) {
    client::ClientFrame sync;
    sync.mutable_sync()->set_limit(kSyncPage);
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
    if (!page->sync().more()) return absl::OkStatus();
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
    return CatchUp();
  }
  if (!frame.has_message()) return absl::OkStatus();
  switch (tracker_.OfferPush(frame.message())) {
    case DeliveryTracker::Verdict::kDeliver:
      deliver_(frame.message());
      return AckDelivered();
    case DeliveryTracker::Verdict::kDuplicate:
      return absl::OkStatus();
    case DeliveryTracker::Verdict::kNeedSync:
      return CatchUp();
  }
  return absl::OkStatus();
}

absl::Status Inbox::AckDelivered() {
  auto acks = tracker_.TakeAcks();
  if (acks.empty()) return absl::OkStatus();
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
