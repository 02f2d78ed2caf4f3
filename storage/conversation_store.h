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
#include "storage/user_store.h"

namespace im::storage {

inline constexpr std::uint32_t kMaxPageSize = 500;

// One device's cursor in one conversation.
struct DeviceAck {
  std::uint64_t user_id = 0;
  std::string device_id;
  std::uint64_t conv_id = 0;
  std::uint64_t seq = 0;
};

class ConversationStore {
 public:
  explicit ConversationStore(MysqlPool* pool) : pool_(pool) {}

  // Messages after this device's cursor in each of the user's conversations,
  // by conversation then seq, at most `limit` (clamped to 1..kMaxPageSize).
  absl::StatusOr<internal::MessagePage> Sync(std::uint64_t user_id, std::string_view device_id,
                                             std::uint32_t limit);
  // Moves the device's cursors forward (never back, never past max_seq).
  // Conversations the user is not in are ignored.
  absl::Status Ack(std::uint64_t user_id, std::string_view device_id,
                   const std::vector<client::ConversationAck>& acks);
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
};

}  // namespace im::storage
