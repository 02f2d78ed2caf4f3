#pragma once
// Where each user is online: user -> device -> (access node, endpoint,
// connection, epoch), in Redis. Each (user, device) has an epoch counter that
// only grows; registering a route takes the next epoch, and removing one
// succeeds only while the stored route still has the caller's epoch, so a late
// disconnect of an old connection never removes a newer login.
// Routes are soft state: losing Redis logs everyone out of push delivery until
// they reconnect, never loses a message. Thread-safe; blocking.

#include <cstdint>
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
  // route it replaced on the same device, if any.
  absl::StatusOr<internal::RegisterRouteResponse> Register(std::uint64_t user_id,
                                                           const internal::Route& route);
  // Register for many (user, route) pairs in one pipelined round trip; the
  // results are parallel to `routes`. Fails as a whole only if Redis does.
  using UserRoute = std::pair<std::uint64_t, internal::Route>;
  absl::StatusOr<std::vector<absl::StatusOr<internal::RegisterRouteResponse>>> RegisterMany(
      const std::vector<UserRoute>& routes);
  // Removes the device's route if its epoch is still `epoch`. Returns whether
  // it was removed.
  absl::StatusOr<bool> Remove(std::uint64_t user_id, std::string_view device_id,
                              std::uint64_t epoch);
  // All routes of each user, pipelined: one round trip per kLookupBatch users.
  absl::StatusOr<internal::GetRoutesResponse> Lookup(const std::vector<std::uint64_t>& user_ids);

 private:
  RedisPool* pool_;
  std::int64_t route_ttl_seconds_;
};

// Route <-> the string stored in Redis ("epoch|node|endpoint|conn").
std::string EncodeRoute(const internal::Route& route);
bool DecodeRoute(std::string_view device_id, std::string_view text, internal::Route* route);

}  // namespace im::storage
