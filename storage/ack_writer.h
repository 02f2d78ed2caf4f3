#pragma once
// Acks from many devices written together: each Submit joins whatever other
// acks are waiting, and the batch is stored by ConversationStore::AckMany in
// one transaction (a few batched statements, one commit, one fsync). An ack
// is answered only after its batch committed, so a device never learns that
// its cursor moved before it durably did.
//
// Thread-safe. Owns its committer threads; the ConversationStore must
// outlive it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "storage/conversation_store.h"
#include "storage/group_committer.h"

namespace im::storage {

class AckWriter {
 public:
  using Done = std::function<void(absl::Status)>;

  // A committer that finds fewer acks waiting than a full batch gathers more
  // for `gather` first (acks may wait a little; fewer transactions cost less).
  AckWriter(ConversationStore* conversations, std::size_t threads,
            std::chrono::microseconds gather = std::chrono::microseconds(0));

  // Stores the device's acks; `done` runs once, on a committer thread, after
  // the commit (or with its error). Returns false, without calling `done`,
  // when too many acks are waiting.
  bool Submit(std::uint64_t user_id, std::string device_id,
              std::vector<internal::ConversationSeq> acks, Done done);

 private:
  struct Pending {
    std::uint64_t user_id = 0;
    std::string device_id;
    std::vector<internal::ConversationSeq> acks;
    Done done;
  };
  void Commit(std::vector<Pending>& batch);

  ConversationStore* conversations_;
  GroupCommitter<Pending> committer_;
};

}  // namespace im::storage
