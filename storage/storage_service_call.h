#pragma once
// What every StorageService method shares (storage_service.cc and
// storage_service_groups.cc): running its store call on the worker pool,
// answering (faults logged; a store call that throws answers INTERNAL), and
// copying a result into the response.

#include "common/grpc_status.h"
#include "common/logging.h"
#include "common/run_catching.h"
#include "storage/storage_service.h"

namespace im::storage {

// Errors an operator should see; the rest (not found, refused...) are answers.
inline bool IsFault(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kDeadlineExceeded:
      return true;
    default:
      return false;
  }
}

// Returns `status`, logging it first if an operator should see it.
inline absl::Status LogFault(absl::Status status) {
  if (IsFault(status)) {
    common::GetLogger("storage")->warn("event=call_failed status=\"{}\"", status.ToString());
  }
  return status;
}

// The answer to a call that found its queue full.
inline absl::Status Overloaded() { return absl::ResourceExhaustedError("storage is overloaded"); }

// Copies a StatusOr's value into a response, or returns its error.
template <typename T>
absl::Status Fill(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return result.status();
  *response = std::move(*result);
  return absl::OkStatus();
}

template <typename Work>
grpc::ServerUnaryReactor* StorageService::OnWorker(grpc::CallbackServerContext* ctx, Work work) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const bool queued = workers_->Submit([reactor, work = std::move(work)]() mutable {
    reactor->Finish(common::ToGrpcStatus(LogFault(common::RunCatching("storage", work))));
  });
  if (!queued) reactor->Finish(common::ToGrpcStatus(Overloaded()));
  return reactor;
}

}  // namespace im::storage
