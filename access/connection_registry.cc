#include "access/connection_registry.h"

#include <cstring>
#include <string_view>

#include "access/connection.h"
#include "common/str_cat.h"

namespace im::access {

std::size_t ConnectionRegistry::AddressHash::operator()(const Address& a) const {
  return std::hash<std::string_view>()(
      std::string_view(reinterpret_cast<const char*>(a.data()), a.size()));
}

ConnectionRegistry::Address ConnectionRegistry::KeyOf(const unsigned char* bytes,
                                                     std::size_t size) {
  Address key{};
  if (size == 4) {  // IPv4-mapped: ::ffff:a.b.c.d
    key[10] = key[11] = 0xff;
    std::memcpy(key.data() + 12, bytes, 4);
  } else if (size == key.size()) {
    std::memcpy(key.data(), bytes, size);
  }
  return key;
}

ConnectionRegistry::Address ConnectionRegistry::KeyOf(const boost::asio::ip::address& address) {
  if (address.is_v6()) {
    const auto bytes = address.to_v6().to_bytes();
    return KeyOf(bytes.data(), bytes.size());
  }
  const auto bytes = address.to_v4().to_bytes();
  return KeyOf(bytes.data(), bytes.size());
}

absl::Status ConnectionRegistry::AdmitLocked(const Address& peer) {
  if (max_connections_ > 0 && connections_.size() + reserved_ >= max_connections_) {
    return absl::ResourceExhaustedError(common::StrCat(
        "server full (", max_connections_, " connections); try another server or again later"));
  }
  std::uint32_t& from_peer = per_address_[peer];
  if (max_per_address_ > 0 && from_peer >= max_per_address_) {
    if (from_peer == 0) per_address_.erase(peer);
    return absl::ResourceExhaustedError(
        common::StrCat("too many connections from your address (at most ", max_per_address_, ")"));
  }
  ++from_peer;
  return absl::OkStatus();
}

void ConnectionRegistry::ForgetLocked(const Address& peer) {
  auto it = per_address_.find(peer);
  if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
}

absl::Status ConnectionRegistry::Add(std::uint64_t conn_id, const std::shared_ptr<Connection>& conn,
                                     const Address& peer) {
  std::lock_guard lock(mutex_);
  if (connections_.count(conn_id) != 0) {
    return absl::AlreadyExistsError(common::StrCat("connection id ", conn_id, " is taken"));
  }
  if (absl::Status admitted = AdmitLocked(peer); !admitted.ok()) return admitted;
  connections_[conn_id] = Entry{conn, peer};
  return absl::OkStatus();
}

void ConnectionRegistry::Remove(std::uint64_t conn_id, const Connection* conn) {
  std::lock_guard lock(mutex_);
  auto it = connections_.find(conn_id);
  if (it == connections_.end()) return;
  auto current = it->second.conn.lock();
  if (current != nullptr && current.get() != conn) return;
  ForgetLocked(it->second.peer);
  connections_.erase(it);
}

absl::Status ConnectionRegistry::Reserve(const Address& peer) {
  std::lock_guard lock(mutex_);
  if (absl::Status admitted = AdmitLocked(peer); !admitted.ok()) return admitted;
  ++reserved_;
  return absl::OkStatus();
}

void ConnectionRegistry::Release(const Address& peer) {
  std::lock_guard lock(mutex_);
  ForgetLocked(peer);
  --reserved_;
}

std::shared_ptr<Connection> ConnectionRegistry::Find(std::uint64_t conn_id) const {
  std::lock_guard lock(mutex_);
  auto it = connections_.find(conn_id);
  return it == connections_.end() ? nullptr : it->second.conn.lock();
}

std::size_t ConnectionRegistry::reserved() const {
  std::lock_guard lock(mutex_);
  return reserved_;
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
    for (const auto& [id, entry] : connections_) {
      if (auto conn = entry.conn.lock()) live.push_back(std::move(conn));
    }
  }
  for (const auto& conn : live) fn(conn);
}

std::vector<std::shared_ptr<Connection>> ConnectionRegistry::Due(std::int64_t now_ms) const {
  std::vector<std::shared_ptr<Connection>> due;
  std::lock_guard lock(mutex_);
  for (const auto& [id, entry] : connections_) {
    auto conn = entry.conn.lock();
    if (conn != nullptr && conn->deadline_ms() <= now_ms) due.push_back(std::move(conn));
  }
  return due;
}

}  // namespace im::access
