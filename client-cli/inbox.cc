#include "client-cli/inbox.h"

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
    for (const auto& m : page->sync().messages()) {
      if (tracker_.OfferSynced(m) == DeliveryTracker::Verdict::kDeliver) deliver_(m);
    }
    if (absl::Status s = AckDelivered(); !s.ok()) return s;
    if (!page->sync().more()) return absl::OkStatus();
  }
}

absl::Status Inbox::Handle(const client::ServerFrame& frame) {
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
  for (auto& a : acks) *ack.mutable_ack()->add_acks() = std::move(a);
  return client_->Request(std::move(ack)).status();
}

}  // namespace im::cli
