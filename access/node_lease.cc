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

void NodeLease::Renew() {
  if (stopped_) return;
  internal::NodeLeaseRequest request;
  request.set_node_id(options_.node_id);
  request.set_lease_ms(static_cast<std::uint32_t>(options_.lease.count()));
  // The answer comes on a gRPC thread; only the io_context is touched there
  // (it outlives this object's users: see the header).
  logic_->RenewNodeLease(std::move(request), [this, &io = io_](auto result) {
    asio::post(io, [this, result = std::move(result)] { OnRenewed(result); });
  });
}

void NodeLease::OnRenewed(const absl::StatusOr<internal::NodeLeaseResponse>& result) {
  if (stopped_) return;
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
  const auto send = [logic = logic_, node = options_.node_id, why, failed = restore_failed_,
                     counters = counters_](Gathered& all) {
    const auto& routes = all.request.routes();
    common::GetLogger("access")->info("event=routes_restore node={} why=\"{}\" routes={}", node,
                                      why, routes.size());
    for (int begin = 0; begin < routes.size(); begin += static_cast<int>(kRestoreBatch)) {
      internal::RestoreRoutesRequest batch;
      const int end = std::min(routes.size(), begin + static_cast<int>(kRestoreBatch));
      for (int i = begin; i < end; ++i) *batch.add_routes() = routes[i];
      logic->RestoreRoutes(std::move(batch), [node, failed, counters](auto result) {
        auto log = common::GetLogger("access");
        if (!result.ok()) {
          failed->store(true);
          log->warn("event=routes_restore_failed node={} status=\"{}\"", node, result.status());
        } else if (result->restored() > 0) {
          counters->routes_restored += result->restored();
          log->info("event=routes_restored node={} restored={}", node, result->restored());
        }
      });
    }
  };
  if (connections.empty()) return send(*gathered);
  for (const auto& conn : connections) {
    conn->ReadSession([gathered, send, node = options_.node_id, endpoint = options_.push_endpoint](
                          std::uint64_t conn_id, const BoundSession& session) {
      std::lock_guard lock(gathered->mu);
      if (session.user_id != 0 && session.route_epoch != 0) {
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
