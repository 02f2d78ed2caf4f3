#pragma once
// The one way a message enters a conversation: at seq = max_seq + 1, with
// max_seq raised and the sender's read cursor moved past it, all inside the
// caller's transaction. The caller must hold the conversation row's lock
// (SELECT ... FOR UPDATE) and pass the max_seq it read under that lock, so no
// other writer can take the seq before the caller commits.

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "storage.pb.h"
#include "storage/mysql_connection.h"

namespace im::storage {

struct NewMessage {
  std::uint64_t sender_id = 0;
  SqlParam client_msg_id = nullptr;  // NULL for system messages
  std::string_view kind = "text";
  std::string_view body;
};

// ALREADY_EXISTS when (sender, client_msg_id) is taken: nothing was changed.
absl::StatusOr<internal::AppendMessageResponse> InsertNextMessage(MysqlConnection& conn,
                                                                  std::uint64_t conv_id,
                                                                  std::uint64_t locked_max_seq,
                                                                  const NewMessage& message);

}  // namespace im::storage
