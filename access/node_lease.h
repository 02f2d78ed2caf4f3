#pragma once
// The access node's lease (storage.proto NodeLeaseRequest): its routes count,
// for pushes and presence, only while it holds one, so within one lease
// period of this process dying nobody pushes to it and its users show
// offline. Renewed through logic every third of the lease (sooner after a
// failure), on a timer of the given io_context.
//
// When storage answers that the lease was taken anew (the first renewal, or
// it had lapsed, or Redis lost it: restarted empty or flushed), every
// logged-in connection's route is sent back as it was (RestoreRoutes, same
// epochs, in batches), so its client gets pushes again without reconnecting.
// The same restore runs every `refresh` while connections last, which keeps
// their routes from expiring however long they stay connected, at the next
// renewal after a restore call failed, and at the next renewal after a login
// that got no route because Redis was down (route epoch 0): storage
// registers those (kicking a connection of the same device they replace) and
// each connection takes its route's epoch (Connection::AdoptRouteEpoch).
// A route put back for a connection that closed while the call was on its
// way is removed again once the answer comes (its close's removal may have
// run first).
//
// Threading: Start, Stop and Release from one thread (main); the rest runs on the
// io_context's thread. Call Stop before that io_context stops; a renewal
// answered after Stop is ignored.

// clang-format off
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20)
#include <boost/asio.hpp>
// clang-format on
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "logic.pb.h"

namespace im::access {

class ConnectionRegistry;
class LogicClient;

struct NodeLeaseOptions {
  std::string node_id;        // this instance (a restarted node is a new one)
  std::string push_endpoint;  // where logic pushes to it
  std::chrono::milliseconds lease{6000};
  std::chrono::milliseconds refresh{std::chrono::hours(6)};
};

class NodeLease {
 public:
  NodeLease(boost::asio::io_context& io, LogicClient* logic, ConnectionRegistry* registry,
            NodeLeaseOptions options)
      : io_(io), timer_(io), logic_(logic), registry_(registry), options_(std::move(options)) {}

  void Start();
  // Stops renewing.
  void Stop();
  // Stops renewing and gives the lease up (the end of a drain: the node's
  // routes stop counting at once), waiting up to `within` for storage.
  // Returns whether storage confirmed it. A renewal still on its way may
  // take the lease again for one period, as after a kill.
  bool Release(std::chrono::milliseconds within);

  static constexpr std::size_t kRestoreBatch = 5000;

  // Whether the lease is held now: a renewal succeeded less than a lease ago
  // (counted from when it was sent). While it is not, storage ignores this
  // node's routes: its users get no pushes. Any thread.
  bool held() const;

  // For metrics (any thread): renewals that failed; times the lease had to
  // be taken anew after the first (it lapsed, or Redis lost it); routes
  // storage put back for this node.
  std::uint64_t renewals_failed() const { return counters_->renewals_failed; }
  std::uint64_t leases_lost() const { return counters_->leases_lost; }
  std::uint64_t routes_restored() const { return counters_->routes_restored; }

 private:
  void Renew();
  void OnRenewed(const absl::StatusOr<internal::NodeLeaseResponse>& result,
                 std::chrono::steady_clock::time_point sent);
  void ScheduleRenewal(std::chrono::milliseconds after);
  // Reads every connection's session on its thread, then sends the routes.
  void RestoreAll(const char* why);

  boost::asio::io_context& io_;
  boost::asio::steady_timer timer_;
  LogicClient* logic_;
  ConnectionRegistry* registry_;
  const NodeLeaseOptions options_;
  std::atomic<bool> stopped_{false};
  std::chrono::steady_clock::time_point last_restore_;
  // A restore call failed (set on a gRPC thread): the next renewal restores again.
  std::shared_ptr<std::atomic<bool>> restore_failed_ = std::make_shared<std::atomic<bool>>(false);
  struct Counters {
    std::atomic<std::uint64_t> renewals_failed{0}, leases_lost{0}, routes_restored{0};
  };
  // Shared with restore callbacks on gRPC threads.
  std::shared_ptr<Counters> counters_ = std::make_shared<Counters>();
  bool held_once_ = false;
  // Steady-clock ms until which the last successful renewal holds the lease.
  std::atomic<std::int64_t> held_until_ms_{0};
};

}  // namespace im::access
