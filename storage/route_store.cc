#include "storage/route_store.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>

#include "common/str_cat.h"

namespace im::storage {
namespace {

// KEYS[1] routes hash, KEYS[2] epoch hash; ARGV device, route-without-epoch,
// ttl, max devices (0: no cap), node lease key prefix. Returns {new epoch,
// previous route or false}, or {-1, devices online} when the cap refuses: a
// new device (one with no route yet) while the user's routes on nodes that
// hold their lease number max devices already. The leases are read by name
// (keys not declared: a single Redis, as everywhere in this store).
constexpr std::string_view kRegisterScript = R"lua(
local cap = tonumber(ARGV[4])
if cap > 0 and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  local live = 0
  local routes = redis.call('HGETALL', KEYS[1])
  for i = 1, #routes, 2 do
    local node = string.match(routes[i + 1], '^[^|]*|([^|]*)|')
    if node and redis.call('EXISTS', ARGV[5] .. node) == 1 then live = live + 1 end
  end
  if live >= cap then return {-1, live} end
end
local epoch = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
local previous = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], epoch .. '|' .. ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {epoch, previous}
)lua";

// KEYS[1] routes hash; ARGV device, epoch. Returns 1 if removed.
constexpr std::string_view kRemoveScript = R"lua(
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
local sep = string.find(current, '|', 1, true)
if sep and string.sub(current, 1, sep - 1) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 1
end
return 0
)lua";

// KEYS[1] routes hash, KEYS[2] epoch hash; ARGV device, route (with its
// epoch), epoch, ttl. Returns 1 if the route was put back.
constexpr std::string_view kRestoreScript = R"lua(
local epoch = tonumber(ARGV[3])
local counter = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if counter < epoch then redis.call('HSET', KEYS[2], ARGV[1], epoch) end
local current = redis.call('HGET', KEYS[1], ARGV[1])
local restored = 0
if current then
  local sep = string.find(current, '|', 1, true)
  local stored = sep and tonumber(string.sub(current, 1, sep - 1))
  if not stored or stored < epoch then
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
    restored = 1
  end
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  restored = 1
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
return restored
)lua";

std::string NodeKey(std::string_view node_id) { return common::StrCat("im:node:", node_id); }
std::string RoutesKey(std::uint64_t user_id) { return common::StrCat("im:routes:", user_id); }
std::string EpochsKey(std::uint64_t user_id) { return common::StrCat("im:route_epochs:", user_id); }

template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string EncodeRoute(const internal::Route& route) {
  return common::StrCat(route.epoch(), "|", route.access_node_id(), "|", route.access_endpoint(),
                        "|", route.conn_id());
}

bool DecodeRoute(std::string_view device_id, std::string_view text, internal::Route* route) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t bar = text.find('|', start);
    parts.push_back(text.substr(start, bar == std::string_view::npos ? bar : bar - start));
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  if (parts.size() != 4) return false;
  std::uint64_t epoch = 0, conn_id = 0;
  if (!ParseNumber(parts[0], &epoch) || !ParseNumber(parts[3], &conn_id)) return false;
  route->set_device_id(std::string(device_id));
  route->set_epoch(epoch);
  route->set_access_node_id(std::string(parts[1]));
  route->set_access_endpoint(std::string(parts[2]));
  route->set_conn_id(conn_id);
  return true;
}

namespace {

absl::StatusOr<internal::RegisterRouteResponse> ParseRegistered(const internal::Route& route,
                                                                const redisReply* r) {
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
      r->element[0]->type != REDIS_REPLY_INTEGER) {
    return absl::InternalError("unexpected reply to route registration");
  }
  if (r->element[0]->integer < 0) {
    const long long online =
        r->elements > 1 && r->element[1]->type == REDIS_REPLY_INTEGER ? r->element[1]->integer : 0;
    return absl::ResourceExhaustedError(common::StrCat(
        "this account is online on ", online,
        " devices, the most allowed at once: sign one out (devices revoke DEVICE) or log out "
        "there"));
  }
  internal::RegisterRouteResponse response;
  response.set_epoch(static_cast<std::uint64_t>(r->element[0]->integer));
  if (r->elements > 1 && r->element[1]->type == REDIS_REPLY_STRING) {
    internal::Route replaced;
    if (DecodeRoute(route.device_id(), std::string_view(r->element[1]->str, r->element[1]->len),
                    &replaced)) {
      *response.mutable_replaced() = std::move(replaced);
    }
  }
  return response;
}

}  // namespace

absl::StatusOr<internal::RegisterRouteResponse> RouteStore::Register(std::uint64_t user_id,
                                                                     const internal::Route& route,
                                                                     std::uint32_t max_devices) {
  auto registered = RegisterMany({{user_id, route}}, {max_devices});
  if (!registered.ok()) return registered.status();
  return std::move(registered->front());
}

absl::StatusOr<std::vector<absl::StatusOr<internal::RegisterRouteResponse>>>
RouteStore::RegisterMany(const std::vector<UserRoute>& routes,
                         const std::vector<std::uint32_t>& max_devices) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  const std::string ttl = std::to_string(route_ttl_seconds_);
  std::vector<std::vector<std::string>> commands;
  commands.reserve(routes.size());
  const std::string node_prefix = NodeKey("");
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const auto& [user_id, route] = routes[i];
    commands.push_back(
        {"EVAL", std::string(kRegisterScript), "2", RoutesKey(user_id), EpochsKey(user_id),
         route.device_id(),
         common::StrCat(route.access_node_id(), "|", route.access_endpoint(), "|", route.conn_id()),
         ttl, std::to_string(i < max_devices.size() ? max_devices[i] : 0), node_prefix});
  }
  auto replies = (*conn)->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  std::vector<absl::StatusOr<internal::RegisterRouteResponse>> results;
  results.reserve(routes.size());
  for (std::size_t i = 0; i < routes.size(); ++i) {
    results.push_back(ParseRegistered(routes[i].second, (*replies)[i].get()));
  }
  return results;
}

absl::StatusOr<bool> RouteStore::Remove(std::uint64_t user_id, std::string_view device_id,
                                        std::uint64_t epoch) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  const std::string routes = RoutesKey(user_id);
  const std::string epoch_text = std::to_string(epoch);
  auto reply = (*conn)->Command({"EVAL", kRemoveScript, "1", routes, device_id, epoch_text});
  if (!reply.ok()) return reply.status();
  return (*reply)->type == REDIS_REPLY_INTEGER && (*reply)->integer == 1;
}

absl::StatusOr<internal::GetRoutesResponse> RouteStore::Lookup(
    const std::vector<std::uint64_t>& user_ids) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  internal::GetRoutesResponse response;
  for (std::size_t begin = 0; begin < user_ids.size(); begin += kLookupBatch) {
    const std::size_t end = std::min(user_ids.size(), begin + kLookupBatch);
    std::vector<std::vector<std::string>> commands;
    commands.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i)
      commands.push_back({"HGETALL", RoutesKey(user_ids[i])});
    auto replies = (*conn)->Pipeline(commands);
    if (!replies.ok()) return replies.status();
    for (std::size_t i = begin; i < end; ++i) {
      internal::UserRoutes* user = response.add_users();
      user->set_user_id(user_ids[i]);
      redisReply* r = (*replies)[i - begin].get();
      if (r->type != REDIS_REPLY_ARRAY) continue;
      for (size_t j = 0; j + 1 < r->elements; j += 2) {
        std::string_view device(r->element[j]->str, r->element[j]->len);
        std::string_view value(r->element[j + 1]->str, r->element[j + 1]->len);
        internal::Route route;
        if (DecodeRoute(device, value, &route)) *user->add_routes() = std::move(route);
      }
    }
  }
  // Only routes of nodes holding their lease.
  std::vector<std::string> nodes;
  for (const auto& user : response.users()) {
    for (const auto& route : user.routes()) nodes.push_back(route.access_node_id());
  }
  if (nodes.empty()) return response;
  auto live = LiveNodes(**conn, std::move(nodes));
  if (!live.ok()) return live.status();
  for (auto& user : *response.mutable_users()) {
    auto* routes = user.mutable_routes();
    routes->erase(
        std::remove_if(routes->begin(), routes->end(),
                       [&](const internal::Route& r) { return !(*live)[r.access_node_id()]; }),
        routes->end());
  }
  return response;
}

absl::StatusOr<std::map<std::string, bool>> RouteStore::LiveNodes(
    RedisConnection& conn, std::vector<std::string> node_ids) {
  std::sort(node_ids.begin(), node_ids.end());
  node_ids.erase(std::unique(node_ids.begin(), node_ids.end()), node_ids.end());
  const auto now = std::chrono::steady_clock::now();
  const auto fresh = std::chrono::milliseconds(kLeaseCheckMs);
  std::map<std::string, bool> live;
  std::vector<std::string> unknown;
  {
    std::lock_guard lock(leases_mu_);
    for (auto& id : node_ids) {
      auto it = leases_.find(id);
      if (it != leases_.end() && now - it->second.checked < fresh) {
        live[id] = it->second.held;
      } else {
        unknown.push_back(std::move(id));
      }
    }
  }
  if (unknown.empty()) return live;
  std::vector<std::vector<std::string>> commands;
  for (const auto& id : unknown) commands.push_back({"EXISTS", NodeKey(id)});
  auto replies = conn.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  std::lock_guard lock(leases_mu_);
  if (leases_.size() > 10000) leases_.clear();  // instances come and go; keep it small
  for (std::size_t i = 0; i < unknown.size(); ++i) {
    const redisReply* r = (*replies)[i].get();
    const bool held = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    leases_[unknown[i]] = {held, now};
    live[unknown[i]] = held;
  }
  return live;
}

absl::StatusOr<bool> RouteStore::RenewLease(std::string_view node_id, std::int64_t lease_ms) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  const std::string key = NodeKey(node_id);
  const std::string ms = std::to_string(lease_ms);
  auto extended = (*conn)->Command({"SET", key, "1", "PX", ms, "XX"});
  if (!extended.ok()) return extended.status();
  const bool was_held = (*extended)->type != REDIS_REPLY_NIL;
  if (!was_held) {
    auto taken = (*conn)->Command({"SET", key, "1", "PX", ms});
    if (!taken.ok()) return taken.status();
  }
  std::lock_guard lock(leases_mu_);
  leases_[std::string(node_id)] = {true, std::chrono::steady_clock::now()};
  return was_held;
}

absl::Status RouteStore::ReleaseLease(std::string_view node_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto deleted = (*conn)->Command({"DEL", NodeKey(node_id)});
  if (!deleted.ok()) return deleted.status();
  std::lock_guard lock(leases_mu_);
  leases_[std::string(node_id)] = {false, std::chrono::steady_clock::now()};
  return absl::OkStatus();
}

absl::StatusOr<std::uint32_t> RouteStore::Restore(const std::vector<UserRoute>& routes) {
  if (routes.empty()) return 0u;
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  const std::string ttl = std::to_string(route_ttl_seconds_);
  std::vector<std::vector<std::string>> commands;
  commands.reserve(routes.size());
  for (const auto& [user_id, route] : routes) {
    commands.push_back({"EVAL", std::string(kRestoreScript), "2", RoutesKey(user_id),
                        EpochsKey(user_id), route.device_id(), EncodeRoute(route),
                        std::to_string(route.epoch()), ttl});
  }
  auto replies = (*conn)->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  std::uint32_t restored = 0;
  for (const auto& r : *replies) {
    if (r->type == REDIS_REPLY_ERROR) return RedisErrorStatus(*r);
    if (r->type == REDIS_REPLY_INTEGER && r->integer == 1) ++restored;
  }
  return restored;
}

}  // namespace im::storage
