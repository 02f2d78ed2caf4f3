#pragma once
// The connections this access node holds, by connection id, so pushes from
// logic can find them, and the caps on how many it holds: at most
// max_connections in all and max_per_address from one source address (0: no
// cap). Holds weak references: a connection's lifetime is its own.
// Remove(id, conn) removes the entry only if it still points to `conn`.
// Connection ids come from NewConnectionId(), one counter for every port of
// the process (TCP, WebSocket, long-poll), so no two connections share one;
// they start from the start time, so a stale route never names a new
// connection after a restart. Thread-safe.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "absl/status/status.h"
#include "common/clock.h"

namespace im::access {

class Connection;

class ConnectionRegistry {
 public:
  // A source address: IPv4 as IPv4-mapped IPv6.
  using Address = std::array<unsigned char, 16>;

  ConnectionRegistry(std::size_t max_connections, std::size_t max_per_address)
      : max_connections_(max_connections),
        max_per_address_(max_per_address),
        next_conn_id_(static_cast<std::uint64_t>(common::NowMs()) << 16) {}

  // The key of a source address (IPv4 as IPv4-mapped IPv6), from its bytes.
  static Address KeyOf(const unsigned char* bytes, std::size_t size);
  static Address KeyOf(const boost::asio::ip::address& address);
  std::uint64_t NewConnectionId() { return next_conn_id_++; }

  // RESOURCE_EXHAUSTED (and nothing added) when a cap is reached, or
  // ALREADY_EXISTS if `conn_id` is taken.
  absl::Status Add(std::uint64_t conn_id, const std::shared_ptr<Connection>& conn,
                   const Address& peer);
  void Remove(std::uint64_t conn_id, const Connection* conn);
  // A socket that is not a Connection (an HTTP long-poll connection) counts
  // against the same caps while it is open: Reserve when it opens
  // (RESOURCE_EXHAUSTED, nothing counted, past a cap), Release once when it closes.
  absl::Status Reserve(const Address& peer);
  void Release(const Address& peer);
  std::size_t reserved() const;  // sockets counted by Reserve and not released
  std::shared_ptr<Connection> Find(std::uint64_t conn_id) const;
  std::size_t size() const;  // Connections (not the sockets reserved)
  // Calls `fn` for every live connection (outside the lock).
  void ForEach(const std::function<void(const std::shared_ptr<Connection>&)>& fn) const;
  // The live connections whose deadline_ms() is at or before `now_ms`.
  std::vector<std::shared_ptr<Connection>> Due(std::int64_t now_ms) const;
  // A connection logged in without a route (Redis was down): the node lease
  // registers the routes it finds pending at its next successful renewal.
  void MarkRoutePending() { route_pending_ = true; }
  bool TakeRoutePending() { return route_pending_.exchange(false); }

 private:
  struct Entry {
    std::weak_ptr<Connection> conn;
    Address peer;
  };
  struct AddressHash {
    std::size_t operator()(const Address& a) const;
  };
  // Counts one more socket from `peer`, unless a cap is reached. Holds mutex_.
  absl::Status AdmitLocked(const Address& peer);
  void ForgetLocked(const Address& peer);

  const std::size_t max_connections_;
  const std::size_t max_per_address_;
  std::atomic<std::uint64_t> next_conn_id_;
  std::atomic<bool> route_pending_{false};
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, Entry> connections_;
  std::unordered_map<Address, std::uint32_t, AddressHash> per_address_;
  std::size_t reserved_ = 0;  // sockets counted by Reserve
};

}  // namespace im::access
