#pragma once
// A daemon's readiness, for orchestrators, load balancers and operators.
//
// HealthMonitor runs `check` (what the daemon needs before it can serve:
// im-storage asks MySQL, im-logic asks im-storage's health, im-access asks
// im-logic's) on a thread of its own every `period`, keeps the last answer,
// logs every change, and mirrors it into the standard gRPC health service of
// the daemon's server (grpc.health.v1, service ""): NOT_SERVING from Start()
// until a check passes. MetricsServer answers GET /healthz from status(), and
// ExportTo() adds the gauge im_serving.
//
// SetDraining() turns it NOT_SERVING for good: shutdown has begun.
// Thread-safe. Stop() (or the destructor) joins the thread; it waits for a
// check in progress, so `check` must bound its own time (a timeout).
// `grpc_health` (may be null) and `metrics` must outlive this object.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"

namespace grpc {
class Channel;
class HealthCheckServiceInterface;
}  // namespace grpc

namespace im::common {

class Metrics;

class HealthMonitor {
 public:
  using Check = std::function<absl::Status()>;

  HealthMonitor(std::string daemon, Check check, std::chrono::milliseconds period);
  ~HealthMonitor() { Stop(); }
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  void Start(grpc::HealthCheckServiceInterface* grpc_health);
  void Stop();
  void SetDraining();
  void ExportTo(Metrics* metrics) const;

  bool serving() const;
  std::string reason() const;  // "" while serving
  absl::Status status() const;  // OK while serving, else UNAVAILABLE(reason)

 private:
  void Run();
  void Publish(bool serving, std::string reason);

  const std::string daemon_;
  const Check check_;
  const std::chrono::milliseconds period_;
  grpc::HealthCheckServiceInterface* grpc_health_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool draining_ = false;
  bool serving_ = false;
  std::string reason_ = "starting";
  std::thread thread_;
};

// Asks the gRPC health service (grpc.health.v1.Health/Check, service "")
// behind `channel`: OK if it answers SERVING, UNAVAILABLE with the reason
// otherwise (NOT_SERVING, or the call's error). Blocks at most `timeout`.
// `name` (say "im-storage") starts the reason.
absl::Status CheckGrpcHealth(const std::string& name, const std::shared_ptr<grpc::Channel>& channel,
                             std::chrono::milliseconds timeout);

}  // namespace im::common
