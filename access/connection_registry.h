#pragma once
// The connections this access node holds, by connection id, so pushes from
// logic can find them. Holds weak references: a connection's lifetime is its
// own. Remove(id, conn) removes the entry only if it still points to `conn`.
// Thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace im::access {

class Connection;

class ConnectionRegistry {
 public:
  void Add(std::uint64_t conn_id, const std::shared_ptr<Connection>& conn);
  void Remove(std::uint64_t conn_id, const Connection* conn);
  std::shared_ptr<Connection> Find(std::uint64_t conn_id) const;
  std::size_t size() const;
  // Calls `fn` for every live connection (outside the lock).
  void ForEach(const std::function<void(const std::shared_ptr<Connection>&)>& fn) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> connections_;
};

}  // namespace im::access
