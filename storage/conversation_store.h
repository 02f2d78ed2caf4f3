#pragma once
// Reading conversations and tracking delivery: per-device sync cursors
// (Sync/Ack), the conversation list with unread counts, history pages and
// read cursors. Every query is scoped to the calling user's memberships, so
// a user can never read another user's conversation, and in a group only
// the seqs their membership covers (joined ... left). Thread-safe; blocking.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "storage.pb.h"
#include "storage/recent_messages.h"
#include "storage/user_store.h"

namespace im::storage {

inline constexpr std::uint32_t kMaxPageSize = 500;
// A page of messages also stops at about this many bytes (at least one
// message), with `more` set: however large its messages, a page fits every
// hop above (gRPC's 4 MiB message limit, access's per-connection queue).
inline constexpr std::size_t kMaxPageBytes = 1 << 20;

// One device's cursor in one conversation.
struct DeviceAck {
  std::uint64_t user_id = 0;
  std::string device_id;
  std::uint64_t conv_id = 0;
  std::uint64_t seq = 0;
};

class ConversationStore {
 public:
  // `recent` (may be null: MySQL only) serves SyncConversation.
  explicit ConversationStore(MysqlPool* pool, RecentMessages* recent = nullptr)
      : pool_(pool), recent_(recent) {}

  // Messages after this device's cursor in each of the user's conversations,
  // by conversation then seq, at most `limit` (clamped to 1..kMaxPageSize)
  // and kMaxPageBytes.
  absl::StatusOr<internal::MessagePage> Sync(std::uint64_t user_id, std::string_view device_id,
                                             std::uint32_t limit);
  // The same for one conversation (what a device does on a notice): its
  // messages after the device's cursor that the user's membership covers,
  // at most `limit`. NOT_FOUND if the user was never in it. Costs one
  // primary-key lookup in MySQL; the messages come from the RecentMessages
  // cache when it holds them all (else from MySQL, and then they are cached).
  absl::StatusOr<internal::MessagePage> SyncConversation(std::uint64_t user_id,
                                                         std::string_view device_id,
                                                         std::uint64_t conv_id,
                                                         std::uint32_t limit);
  // Moves the device's cursors forward (never back, never past max_seq).
  // Conversations the user is not in are ignored.
  absl::Status Ack(std::uint64_t user_id, std::string_view device_id,
                   const std::vector<internal::ConversationSeq>& acks);
  // The same for many devices at once, in one transaction: a few batched
  // statements and one commit whatever the number of acks (group commit).
  absl::Status AckMany(std::vector<DeviceAck> acks);
  absl::StatusOr<internal::ListConversationsResponse> List(std::uint64_t user_id);
  // Up to `limit` messages before `before_seq` (0: the latest), ascending, of
  // the user's conversation with a peer (NOT_FOUND if they have none yet) or
  // of a group they are a member of (only what was sent since they joined).
  absl::StatusOr<internal::MessagePage> History(const internal::ConversationRef& conversation,
                                                std::uint64_t before_seq, std::uint32_t limit);
  // Raises the user's read cursor to `seq` (0: max_seq), never past max_seq.
  absl::StatusOr<internal::MarkReadResult> MarkRead(const internal::ConversationRef& conversation,
                                                    std::uint64_t seq);

 private:
  MysqlPool* pool_;
  RecentMessages* recent_;
};

}  // namespace im::storage
