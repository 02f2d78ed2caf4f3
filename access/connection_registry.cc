#include "access/connection_registry.h"

#include <vector>

namespace im::access {

void ConnectionRegistry::Add(std::uint64_t conn_id, const std::shared_ptr<Connection>& conn) {
  std::lock_guard lock(mutex_);
  connections_[conn_id] = conn;
}

void ConnectionRegistry::Remove(std::uint64_t conn_id, const Connection* conn) {
  std::lock_guard lock(mutex_);
  auto it = connections_.find(conn_id);
  if (it == connections_.end()) return;
  auto current = it->second.lock();
  if (current == nullptr || current.get() == conn) connections_.erase(it);
}

std::shared_ptr<Connection> ConnectionRegistry::Find(std::uint64_t conn_id) const {
  std::lock_guard lock(mutex_);
  auto it = connections_.find(conn_id);
  return it == connections_.end() ? nullptr : it->second.lock();
}

std::size_t ConnectionRegistry::size() const {
  std::lock_guard lock(mutex_);
  return connections_.size();
}

void ConnectionRegistry::ForEach(
    const std::function<void(const std::shared_ptr<Connection>&)>& fn) const {
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, weak] : connections_) {
      if (auto conn = weak.lock()) live.push_back(std::move(conn));
    }
  }
  for (const auto& conn : live) fn(conn);
}

}  // namespace im::access
