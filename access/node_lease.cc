#include "access/node_lease.h"

#include <future>
#include <memory>
#include <mutex>
#include <vector>

#include "access/connection.h"
#include "access/connection_registry.h"
#include "access/logic_client.h"
#include "common/logging.h"

namespace im::access {
namespace asio = boost::asio;
namespace {

// Removes a route this node put in Redis for connection `conn_id` that has
// closed meanwhile: its close may have removed the route before the restore
// or late registration put it back. The removal is epoch-conditional, so a
// newer route of the device stays.
void RemoveClosedRoute(LogicClient* logic, std::uint64_t user_id, const std::string& device_id,
                       std::uint64_t epoch, std::uint64_t conn_id, const std::string& node,
                       const std::string& endpoint) {
  internal::SessionContext gone;
  gone.set_user_id(user_id);
  gone.set_device_id(device_id);
  gone.set_route_epoch(epoch);
  gone.set_access_node_id(node);
  gone.set_access_endpoint(endpoint);
  gone.set_conn_id(conn_id);
  logic->SessionClosed(std::move(gone));
}

// A route storage registered late (the login came while Redis was down): its
// connection takes the epoch, or, gone meanwhile, the route is removed again.
void AdoptRegistered(const internal::RouteRegistered& registered, ConnectionRegistry* registry,
                     LogicClient* logic, const std::string& node, const std::string& endpoint) {
  if (auto conn = registry->Find(registered.conn_id())) {
    return conn->AdoptRouteEpoch(registered.user_id(), registered.device_id(), registered.epoch());
  }
  RemoveClosedRoute(logic, registered.user_id(), registered.device_id(), registered.epoch(),
                    registered.conn_id(), node, endpoint);
}

}  // namespace

void NodeLease::Start() {
  asio::post(io_, [this] { Renew(); });
}

void NodeLease::Stop() {
  stopped_ = true;
  asio::post(io_, [this] { timer_.cancel(); });
}

bool NodeLease::Release(std::chrono::milliseconds within) {
  Stop();
  auto released = std::make_shared<std::promise<absl::Status>>();
  auto answer = released->get_future();
  internal::NodeLeaseRelease request;
  request.set_node_id(options_.node_id);
  logic_->ReleaseNodeLease(std::move(request),
                           [released](absl::Status status) { released->set_value(status); });
  auto log = common::GetLogger("access");
  if (answer.wait_for(within) != std::future_status::ready) {
    log->warn("event=node_lease_release_failed node={} status=\"no answer\"", options_.node_id);
    return false;
  }
  const absl::Status status = answer.get();
  if (!status.ok()) {
    log->warn("event=node_lease_release_failed node={} status=\"{}\"", options_.node_id, status);
    return false;
  }
  log->info("event=node_lease_released node={}", options_.node_id);
  return true;
}

namespace {
std::int64_t SteadyMs(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
}  // namespace

bool NodeLease::held() const {
  return SteadyMs(std::chrono::steady_clock::now()) < held_until_ms_.load();
}

void NodeLease::Renew() {
  if (stopped_) return;
  internal::NodeLeaseRequest request;
  request.set_node_id(options_.node_id);
  request.set_lease_ms(static_cast<std::uint32_t>(options_.lease.count()));
  // The answer comes on a gRPC thread; only the io_context is touched there
  // (it outlives this object's users: see the header).
  const auto sent = std::chrono::steady_clock::now();
  logic_->RenewNodeLease(std::move(request), [this, &io = io_, sent](auto result) {
    asio::post(io, [this, result = std::move(result), sent] { OnRenewed(result, sent); });
  });
}

void NodeLease::OnRenewed(const absl::StatusOr<internal::NodeLeaseResponse>& result,
                          std::chrono::steady_clock::time_point sent) {
  if (stopped_) return;
  if (result.ok()) held_until_ms_ = SteadyMs(sent + options_.lease);
  if (!result.ok()) {
    ++counters_->renewals_failed;
    common::GetLogger("access")->warn("event=node_lease_renewal_failed node={} status=\"{}\"",
                                      options_.node_id, result.status());
    return ScheduleRenewal(options_.lease / 6);
  }
  if (!result->was_held()) {
    if (held_once_) ++counters_->leases_lost;
    held_once_ = true;
    RestoreAll("lease taken anew");
  } else if (restore_failed_->exchange(false)) {
    RestoreAll("the last restore failed");
  } else if (registry_->TakeRoutePending()) {
    RestoreAll("logins without a route");
  } else if (std::chrono::steady_clock::now() - last_restore_ >= options_.refresh) {
    RestoreAll("refresh");
  }
  ScheduleRenewal(options_.lease / 3);
}

void NodeLease::ScheduleRenewal(std::chrono::milliseconds after) {
  timer_.expires_after(after);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) Renew();
  });
}

void NodeLease::RestoreAll(const char* why) {
  last_restore_ = std::chrono::steady_clock::now();
  struct Gathered {
    std::mutex mu;
    internal::RestoreRoutesRequest request;
    std::size_t waiting = 0;
  };
  std::vector<std::shared_ptr<Connection>> connections;
  registry_->ForEach([&](const std::shared_ptr<Connection>& c) { connections.push_back(c); });
  auto gathered = std::make_shared<Gathered>();
  gathered->waiting = connections.size();
  const auto send = [logic = logic_, registry = registry_, node = options_.node_id,
                     endpoint = options_.push_endpoint, why, failed = restore_failed_,
                     counters = counters_](Gathered& all) {
    const auto& routes = all.request.routes();
    common::GetLogger("access")->info("event=routes_restore node={} why=\"{}\" routes={}", node,
                                      why, routes.size());
    for (int begin = 0; begin < routes.size(); begin += static_cast<int>(kRestoreBatch)) {
      auto batch = std::make_shared<internal::RestoreRoutesRequest>();
      const int end = std::min(routes.size(), begin + static_cast<int>(kRestoreBatch));
      for (int i = begin; i < end; ++i) *batch->add_routes() = routes[i];
      int unregistered = 0;
      for (const auto& r : batch->routes()) unregistered += r.route().epoch() == 0;
      logic->RestoreRoutes(*batch, [node, endpoint, failed, counters, registry, logic, batch,
                                    unregistered](auto result) {
        auto log = common::GetLogger("access");
        if (!result.ok()) {
          failed->store(true);
          log->warn("event=routes_restore_failed node={} status=\"{}\"", node, result.status());
          return;
        }
        if (result->restored() > 0) {
          counters->routes_restored += result->restored();
          log->info("event=routes_restored node={} restored={}", node, result->restored());
        }
        for (const auto& r : batch->routes()) {
          if (r.route().epoch() != 0 && registry->Find(r.route().conn_id()) == nullptr) {
            RemoveClosedRoute(logic, r.user_id(), r.route().device_id(), r.route().epoch(),
                              r.route().conn_id(), node, endpoint);
          }
        }
        if (unregistered == 0) return;
        if (result->registered_size() < unregistered) failed->store(true);  // ask again
        for (const auto& r : result->registered())
          AdoptRegistered(r, registry, logic, node, endpoint);
        log->info("event=routes_registered node={} registered={} of={}", node,
                  result->registered_size(), unregistered);
      });
    }
  };
  if (connections.empty()) return send(*gathered);
  for (const auto& conn : connections) {
    conn->ReadSession([gathered, send, node = options_.node_id, endpoint = options_.push_endpoint](
                          std::uint64_t conn_id, const BoundSession& session) {
      std::lock_guard lock(gathered->mu);
      if (session.user_id != 0) {  // epoch 0: never registered, storage registers it now
        auto* restored = gathered->request.add_routes();
        restored->set_user_id(session.user_id);
        auto* route = restored->mutable_route();
        route->set_device_id(session.device_id);
        route->set_access_node_id(node);
        route->set_access_endpoint(endpoint);
        route->set_conn_id(conn_id);
        route->set_epoch(session.route_epoch);
      }
      if (--gathered->waiting == 0) send(*gathered);
    });
  }
}

}  // namespace im::access
