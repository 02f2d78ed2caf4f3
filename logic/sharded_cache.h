#pragma once
// A bounded map shared by every request thread: 16 shards, each with its own
// lock, so lookups on different keys rarely contend. When a shard outgrows
// its share of `max_entries` it is emptied and refilled on demand: a cache
// of facts that are cheap to read again, not a store. Thread-safe.

#include <array>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace im::logic {

template <typename Key, typename Value, typename Hash = std::hash<Key>>
class ShardedCache {
 public:
  explicit ShardedCache(std::size_t max_entries)
      : max_per_shard_(std::max<std::size_t>(1, max_entries / kShards)) {}

  std::optional<Value> Find(const Key& key) const {
    const Shard& shard = ShardOf(key);
    std::lock_guard lock(shard.mutex);
    auto it = shard.map.find(key);
    if (it == shard.map.end()) return std::nullopt;
    return it->second;
  }

  void Put(const Key& key, Value value) {
    Shard& shard = ShardOf(key);
    std::lock_guard lock(shard.mutex);
    if (shard.map.size() >= max_per_shard_ && shard.map.count(key) == 0) shard.map.clear();
    shard.map.insert_or_assign(key, std::move(value));
  }

  void Erase(const Key& key) {
    Shard& shard = ShardOf(key);
    std::lock_guard lock(shard.mutex);
    shard.map.erase(key);
  }

 private:
  static constexpr std::size_t kShards = 16;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<Key, Value, Hash> map;
  };
  Shard& ShardOf(const Key& key) { return shards_[Hash{}(key) % kShards]; }
  const Shard& ShardOf(const Key& key) const { return shards_[Hash{}(key) % kShards]; }

  const std::size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace im::logic
