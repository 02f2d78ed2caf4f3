#pragma once
// Client-side half of at-least-once delivery for one device: per
// conversation, the highest contiguous seq this device has. Messages arrive
// by push (fast path) and by Sync (the guarantee); the tracker passes each
// message on exactly once and in seq order, and says when a gap means the
// device must sync. Not thread-safe (one per connection, one thread).

#include <cstdint>
#include <map>
#include <vector>

#include "client.pb.h"

namespace im::cli {

class DeliveryTracker {
 public:
  enum class Verdict {
    kDeliver,    // next in order: show it, then ack
    kDuplicate,  // already had it: drop
    kNeedSync,   // a gap, or a conversation not synced yet: call Sync
  };

  // A pushed message.
  Verdict OfferPush(const client::ChatMessage& message);
  // A message from a Sync page. Sync starts each conversation right after
  // this device's server-side cursor and pages are gapless from there, so a
  // synced message is accepted even past a gap: the server holds that this
  // device has what lies between (it acked it, or sent it itself).
  Verdict OfferSynced(const client::ChatMessage& message);
  // This device's own message, stored at `seq` (its send was acked). The
  // server moves the device's cursor past its own message when the device
  // had everything before it, and so does the tracker; it also acks it, in
  // case the server's cursor was behind.
  void OfferOwn(std::uint64_t conv_id, std::uint64_t seq);

  // The acks to send for what was delivered since the last call.
  std::vector<client::ConversationAck> TakeAcks();
  // Puts back acks that could not be sent.
  void Unack(const std::vector<client::ConversationAck>& acks);

  std::uint64_t contiguous(std::uint64_t conv_id) const;

 private:
  Verdict Offer(const client::ChatMessage& message, bool trust_start);

  std::map<std::uint64_t, std::uint64_t> contiguous_;  // conv_id -> seq
  std::map<std::uint64_t, std::uint64_t> unacked_;     // conv_id -> seq to ack
};

}  // namespace im::cli
