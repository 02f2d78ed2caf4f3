#pragma once
// The relation between two users as last read from storage, with the relation
// versions it was read at, kept so that a send need not read it again.
// Safe because of how sends use it (MessageHandlers): a cached relation may
// only allow a send, never refuse one (a refusal is decided on a fresh read),
// and storage re-checks both versions inside the append's transaction, so a
// stale entry costs one refused append and a fresh read, never a wrong send.
// Thread-safe; bounded (ShardedCache).

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>

#include "logic/sharded_cache.h"
#include "storage.pb.h"

namespace im::logic {

class RelationCache {
 public:
  explicit RelationCache(std::size_t max_entries) : relations_(max_entries) {}

  // user's relation to peer (as GetRelation{user_id = user, peer_id = peer}).
  std::optional<internal::Relation> Find(std::uint64_t user, std::uint64_t peer) const {
    return relations_.Find({user, peer});
  }
  void Put(std::uint64_t user, std::uint64_t peer, const internal::Relation& relation) {
    relations_.Put({user, peer}, relation);
  }
  void Forget(std::uint64_t user, std::uint64_t peer) { relations_.Erase({user, peer}); }

 private:
  using Pair = std::pair<std::uint64_t, std::uint64_t>;
  struct PairHash {
    std::size_t operator()(const Pair& p) const {
      return std::hash<std::uint64_t>{}(p.first * 0x9E3779B97F4A7C15ull ^ p.second);
    }
  };
  ShardedCache<Pair, internal::Relation, PairHash> relations_;
};

}  // namespace im::logic
