#include "client-cli/delivery_tracker.h"

#include <algorithm>

namespace im::cli {

DeliveryTracker::Verdict DeliveryTracker::OfferPush(const client::ChatMessage& message) {
  return Offer(message, /*trust_start=*/false);
}

DeliveryTracker::Verdict DeliveryTracker::OfferSynced(const client::ChatMessage& message) {
  return Offer(message, /*trust_start=*/true);
}

DeliveryTracker::Verdict DeliveryTracker::Offer(const client::ChatMessage& message,
                                                bool trust_start) {
  auto it = contiguous_.find(message.conv_id());
  if (it == contiguous_.end()) {
    if (!trust_start) return Verdict::kNeedSync;
    it = contiguous_.emplace(message.conv_id(), message.seq() - 1).first;
  }
  if (message.seq() <= it->second) return Verdict::kDuplicate;
  if (message.seq() != it->second + 1 && !trust_start) return Verdict::kNeedSync;
  it->second = message.seq();
  unacked_[message.conv_id()] = message.seq();
  return Verdict::kDeliver;
}

void DeliveryTracker::OfferOwn(std::uint64_t conv_id, std::uint64_t seq) {
  auto it = contiguous_.find(conv_id);
  if (it == contiguous_.end() || seq != it->second + 1) return;
  it->second = seq;
  auto& pending = unacked_[conv_id];
  pending = std::max(pending, seq);
}

std::vector<client::ConversationAck> DeliveryTracker::TakeAcks() {
  std::vector<client::ConversationAck> acks;
  for (const auto& [conv, seq] : unacked_) {
    client::ConversationAck& ack = acks.emplace_back();
    ack.set_conv_id(conv);
    ack.set_seq(seq);
  }
  unacked_.clear();
  return acks;
}

void DeliveryTracker::Unack(const std::vector<client::ConversationAck>& acks) {
  for (const auto& a : acks) {
    auto& pending = unacked_[a.conv_id()];
    pending = std::max(pending, a.seq());
  }
}

std::uint64_t DeliveryTracker::contiguous(std::uint64_t conv_id) const {
  auto it = contiguous_.find(conv_id);
  return it == contiguous_.end() ? 0 : it->second;
}

}  // namespace im::cli
