#pragma once
// A cache in Redis of stored messages by (conversation, seq), so that the
// Syncs following a notice in a large group (thousands of devices pulling the
// same message at once) read Redis instead of MySQL. Filled from what MySQL
// returned (read-through); a seq is in the cache only once it is committed,
// and a message's content never changes afterwards, except by a recall.
//
// Recalls are kept beside the content, as markers ("r<seq>") in the same Redis
// hash as the messages ("m<seq>"), and applied when reading: a stale content
// put back by a reader racing a recall is still served as the tombstone.
// Redis drops a hash as a whole (expiry, eviction), so content never outlives
// its marker. A Redis that
// restarted (or failed over) may have lost its last writes, markers included;
// keys carry the server's run_id, so a new server starts an empty cache.
//
// Each conversation's hash expires `ttl_seconds` after its last write, and
// keeps about `max_messages` seqs (putting seq s drops s - max_messages).
// Thread-safe; blocking: call from a worker thread.

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "storage.pb.h"
#include "storage/route_store.h"

namespace im::storage {

struct RecentMessagesOptions {
  std::int64_t ttl_seconds = 600;
  std::int64_t max_messages = 256;
};

class RecentMessages {
 public:
  RecentMessages(RedisPool* pool, RecentMessagesOptions options) : pool_(pool), options_(options) {}

  // Seqs (after, until] of `conv_id`, in order, recalled ones as tombstones;
  // nullopt unless every one of them is cached. An error only if Redis fails.
  absl::StatusOr<std::optional<std::vector<internal::StoredMessage>>> Get(std::uint64_t conv_id,
                                                                          std::uint64_t after,
                                                                          std::uint64_t until);
  // Caches committed messages (as MySQL returned them) of one or more
  // conversations, in one round trip.
  absl::Status Put(const std::vector<internal::StoredMessage>& messages);
  // Marks seq `seq` of `conv_id` recalled. Call it before the recall's update
  // commits and again after: a reader may cache content it read just before.
  absl::Status MarkRecalled(std::uint64_t conv_id, std::uint64_t seq);

 private:
  RedisPool* pool_;
  RecentMessagesOptions options_;
};

// What a tombstone keeps of a recalled message (ConversationStore returns the
// same for a recalled row).
void StripRecalled(internal::StoredMessage* message);

}  // namespace im::storage
