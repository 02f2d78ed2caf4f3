#pragma once
// Conversations and messages in MySQL. Append assigns the conversation's next
// seq inside the insert's transaction, under the conversation row's lock, so
// seqs are 1, 2, 3... with no gap or reuse whatever the concurrency, and a
// resend with the same (sender, client_msg_id) returns the original message.
// Thread-safe; blocking: call from a worker thread.

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "storage.pb.h"
#include "storage/user_store.h"

namespace im::storage {

class MessageStore {
 public:
  explicit MessageStore(MysqlPool* pool) : pool_(pool) {}

  // Durably stores a 1:1 text message (committed when this returns OK).
  absl::StatusOr<internal::AppendMessageResponse> AppendDirect(std::uint64_t sender_id,
                                                               std::uint64_t recipient_id,
                                                               std::string_view client_msg_id,
                                                               std::string_view text);

 private:
  MysqlPool* pool_;
};

}  // namespace im::storage
