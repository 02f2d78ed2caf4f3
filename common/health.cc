#include "common/health.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <future>
#include <vector>

#include "common/logging.h"
#include "common/metrics.h"
#include "common/str_cat.h"

namespace im::common {

HealthMonitor::HealthMonitor(std::string daemon, Check check, std::chrono::milliseconds period)
    : daemon_(std::move(daemon)), check_(std::move(check)), period_(period) {}

void HealthMonitor::Start(grpc::HealthCheckServiceInterface* grpc_health) {
  grpc_health_ = grpc_health;
  if (grpc_health_ != nullptr) grpc_health_->SetServingStatus(false);
  thread_ = std::thread([this] { Run(); });
}

void HealthMonitor::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HealthMonitor::SetDraining() {
  {
    std::lock_guard lock(mu_);
    draining_ = true;
  }
  Publish(false, "shutting down");
}

void HealthMonitor::ExportTo(Metrics* metrics) const {
  metrics->Sample("im_serving",
                  "1 while this daemon's dependencies answer (gRPC health SERVING), else 0.",
                  "gauge", [this] { return serving() ? 1.0 : 0.0; });
}

bool HealthMonitor::serving() const {
  std::lock_guard lock(mu_);
  return serving_;
}

std::string HealthMonitor::reason() const {
  std::lock_guard lock(mu_);
  return reason_;
}

absl::Status HealthMonitor::status() const {
  std::lock_guard lock(mu_);
  return serving_ ? absl::OkStatus() : absl::UnavailableError(reason_);
}

void HealthMonitor::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    const absl::Status status = check_();
    lock.lock();
    if (stopping_) break;
    if (!draining_) {
      lock.unlock();
      Publish(status.ok(), status.ok() ? "" : std::string(status.message()));
      lock.lock();
    }
    wake_.wait_for(lock, period_, [this] { return stopping_; });
  }
}

void HealthMonitor::Publish(bool serving, std::string reason) {
  bool changed;
  {
    std::lock_guard lock(mu_);
    if (draining_ && serving) return;
    changed = serving != serving_ || reason_ != reason;
    const bool flipped = serving != serving_;
    serving_ = serving;
    reason_ = std::move(reason);
    if (flipped && grpc_health_ != nullptr) grpc_health_->SetServingStatus(serving);
  }
  if (!changed) return;
  auto log = GetLogger(daemon_);
  if (serving) {
    log->info("event=health serving=true");
  } else {
    log->warn("event=health serving=false reason=\"{}\"", this->reason());
  }
}

absl::Status CheckGrpcHealth(const std::string& name, const std::shared_ptr<grpc::Channel>& channel,
                             std::chrono::milliseconds timeout) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  // HealthCheckRequest{service: ""} is the empty message (one empty slice: a
  // default ByteBuffer holds no buffer at all, which gRPC refuses to send).
  grpc::Slice empty;
  const grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                 &response, [&done](grpc::Status s) { done.set_value(std::move(s)); });
  const grpc::Status status = done.get_future().get();
  if (!status.ok()) {
    return absl::UnavailableError(StrCat(name, ": ", status.error_message()));
  }
  // HealthCheckResponse{status = 1 (SERVING)} is the two bytes 08 01.
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (response.Dump(&slices).ok()) {
    for (const auto& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  if (bytes == std::string("\x08\x01", 2)) return absl::OkStatus();
  return absl::UnavailableError(StrCat(name, ": NOT_SERVING"));
}

}  // namespace im::common
