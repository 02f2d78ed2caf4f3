#pragma once
// Conversations and messages in MySQL (1:1 and group). Append assigns the conversation's next
// seq inside the insert's transaction, under the conversation row's lock, so
// seqs are 1, 2, 3... with no gap or reuse whatever the concurrency, and a
// resend with the same (sender, client_msg_id) returns the original message.
// Thread-safe; blocking: call from a worker thread.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "storage.pb.h"
#include "storage/user_store.h"

namespace im::storage {

// The relation versions a send was permitted on (see RelationStore).
struct RelationPrecondition {
  std::uint64_t sender_version;
  std::uint64_t recipient_version;
};

// One message to append: to a user (recipient_id) or a group (group_id), and,
// once AppendMany returns, its result.
struct Append {
  std::uint64_t sender_id = 0;
  std::uint64_t recipient_id = 0;
  std::uint64_t group_id = 0;
  std::string client_msg_id;
  std::string body;
  std::string kind = "text";
  std::optional<RelationPrecondition> precondition;  // 1:1 only
  // The device it was sent from (may be empty): its sync cursor moves past
  // the message when the device had everything before it.
  std::string sender_device;
  // Recorded in the webhook outbox with the message, in its transaction, when
  // newly stored (see WebhookOutboxStore): its message is filled in here.
  std::optional<internal::OutboxEvent> webhook_event;
  absl::StatusOr<internal::AppendMessageResponse> result = absl::UnknownError("not appended");
};

class MessageStore {
 public:
  explicit MessageStore(MysqlPool* pool) : pool_(pool) {}

  // Durably stores a 1:1 text message (committed when this returns OK). With
  // a precondition, both users' rows are share-locked and their relation
  // versions compared inside the transaction: if a block, unfriend or policy
  // change committed since the send was permitted, nothing is stored and the
  // result is FAILED_PRECONDITION "relation changed" (decide again and retry).
  // A resend of an already stored client_msg_id returns the original either way.
  // A resend whose client_msg_id was used for different content (kind, body
  // or recipient) is refused with ALREADY_EXISTS; the original is kept.
  absl::StatusOr<internal::AppendMessageResponse> AppendDirect(
      std::uint64_t sender_id, std::uint64_t recipient_id, std::string_view client_msg_id,
      std::string_view body, std::optional<RelationPrecondition> precondition = std::nullopt,
      std::string_view kind = "text");

  // Durably stores every append of `batch` that may go in, in one
  // transaction (group commit): each conversation is locked once, in id
  // order, resends are found with one query, the messages go in with batched
  // statements, and one COMMIT makes them all durable. Each append gets its
  // own result, as AppendDirect/AppendGroup describe; a refused one never
  // fails the others. Messages to one conversation take seqs in batch order.
  // A sender device's own messages advance its sync cursor (device_cursors)
  // when contiguous: if the cursor stood right before the first of them,
  // it moves to the last of the unbroken run, so a device does not find what
  // it sent itself in its next Sync; otherwise it stays.
  // Appends with a webhook_event record it in the outbox, in the same
  // transaction, when their message is newly stored (not for a resend).
  // Returns an error only when the transaction as a whole failed (then
  // every result is that error).
  absl::Status AppendMany(std::vector<Append>& batch);

  // Durably stores a message in a group. Under the group's lock, the sender
  // must be a member allowed to send (group_rules.h MaySend): otherwise
  // PERMISSION_DENIED, or NOT_FOUND for a group that does not exist. Resends
  // behave as for AppendDirect. member_count tells the group's size.
  absl::StatusOr<internal::AppendMessageResponse> AppendGroup(std::uint64_t sender_id,
                                                              std::uint64_t group_id,
                                                              std::string_view client_msg_id,
                                                              std::string_view body,
                                                              std::string_view kind = "text");

  // Replaces the message's content with a tombstone. NOT_FOUND unless
  // `user_id` is a member of its conversation (in a group: a current member); PERMISSION_DENIED
  // unless they sent it; FAILED_PRECONDITION once `window_ms` has passed. Idempotent.
  // `before_update` (may be null) runs once the recall is allowed, before
  // it is stored; an error from it stops the recall.
  using RecallHook = std::function<absl::Status(std::uint64_t conv_id, std::uint64_t seq)>;
  absl::StatusOr<internal::RecallMessageResponse> Recall(std::uint64_t user_id,
                                                         std::uint64_t msg_id,
                                                         std::int64_t window_ms,
                                                         const RecallHook& before_update = nullptr);

 private:
  // AppendMany of one append.
  absl::StatusOr<internal::AppendMessageResponse> AppendOne(Append append);

  MysqlPool* pool_;
};

}  // namespace im::storage
