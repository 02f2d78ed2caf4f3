#pragma once
// Where each user is online: user -> device -> (access node, endpoint,
// connection, epoch), in Redis. Each (user, device) has an epoch counter that
// only grows; registering a route takes the next epoch, and removing one
// succeeds only while the stored route still has the caller's epoch, so a late
// disconnect of an old connection never removes a newer login.
// Routes are soft state: losing them costs pushes, never a message (Sync is
// the guarantee).
//
// Liveness: each access node instance holds a lease in Redis (RenewLease).
// Lookup returns only routes of nodes whose lease is held, so within one
// lease period of a node's death nobody pushes to it and its users show
// offline; what Lookup skips is left for the hash's expiry. A node that finds
// its lease was lost (Redis restarted empty, flushed, or the node was cut
// off for longer than the lease) puts its routes back with Restore. Whether a
// lease is held is cached for up to kLeaseCheckMs per node. Thread-safe;
// blocking.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "storage.pb.h"
#include "storage/connection_pool.h"
#include "storage/redis_connection.h"

namespace im::storage {

using RedisPool = ConnectionPool<RedisConnection>;

class RouteStore {
 public:
  static constexpr std::size_t kLookupBatch = 1000;

  RouteStore(RedisPool* pool, std::int64_t route_ttl_seconds)
      : pool_(pool), route_ttl_seconds_(route_ttl_seconds) {}

  // Stores `route` (its epoch is ignored) and returns the new epoch and the
  // route it replaced on the same device, if any. With `max_devices` > 0, a
  // route for a device that has none yet is refused RESOURCE_EXHAUSTED
  // (nothing stored) while the user has routes on that many devices whose
  // nodes hold their lease; the same device logging in again never is.
  absl::StatusOr<internal::RegisterRouteResponse> Register(std::uint64_t user_id,
                                                           const internal::Route& route,
                                                           std::uint32_t max_devices = 0);
  // Register for many (user, route) pairs in one pipelined round trip; the
  // results are parallel to `routes`, and so is `max_devices` (missing: no
  // cap). Fails as a whole only if Redis does.
  using UserRoute = std::pair<std::uint64_t, internal::Route>;
  absl::StatusOr<std::vector<absl::StatusOr<internal::RegisterRouteResponse>>> RegisterMany(
      const std::vector<UserRoute>& routes, const std::vector<std::uint32_t>& max_devices = {});
  // Removes the device's route if its epoch is still `epoch`. Returns whether
  // it was removed.
  absl::StatusOr<bool> Remove(std::uint64_t user_id, std::string_view device_id,
                              std::uint64_t epoch);
  // All routes of each user whose node holds its lease, pipelined: one
  // round trip per kLookupBatch users (and one for leases not checked lately).
  absl::StatusOr<internal::GetRoutesResponse> Lookup(const std::vector<std::uint64_t>& user_ids);

  // Takes or extends `node_id`'s lease for `lease_ms`. Returns whether it was
  // still held (false: taken anew).
  absl::StatusOr<bool> RenewLease(std::string_view node_id, std::int64_t lease_ms);
  // Gives the lease up (a draining node): its routes stop counting at once
  // on this replica, within kLeaseCheckMs on others.
  absl::Status ReleaseLease(std::string_view node_id);
  // Puts routes back with their own epochs where their device has no route
  // or an older one (and raises the device's epoch counter to at least
  // theirs, so a later login still gets a greater epoch); refreshes each
  // user's expiry. Returns how many routes were put back.
  absl::StatusOr<std::uint32_t> Restore(const std::vector<UserRoute>& routes);

  static constexpr std::int64_t kLeaseCheckMs = 500;

 private:
  // Which of `node_ids` hold their lease (cached up to kLeaseCheckMs).
  absl::StatusOr<std::map<std::string, bool>> LiveNodes(RedisConnection& conn,
                                                        std::vector<std::string> node_ids);

  RedisPool* pool_;
  std::int64_t route_ttl_seconds_;
  struct LeaseSeen {
    bool held = false;
    std::chrono::steady_clock::time_point checked;
  };
  std::mutex leases_mu_;
  std::map<std::string, LeaseSeen, std::less<>> leases_;  // node -> last check
};

// Route <-> the string stored in Redis ("epoch|node|endpoint|conn").
std::string EncodeRoute(const internal::Route& route);
bool DecodeRoute(std::string_view device_id, std::string_view text, internal::Route* route);

}  // namespace im::storage
