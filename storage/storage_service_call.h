#pragma once
// What every StorageService method shares (storage_service.cc and
// storage_service_groups.cc): running its store call on the worker pool,
// logging faults, and copying a result into the response.

#include "common/grpc_status.h"
#include "common/logging.h"
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
    absl::Status status = work();
    if (IsFault(status)) {
      common::GetLogger("storage")->warn("event=call_failed status=\"{}\"", status.ToString());
    }
    reactor->Finish(common::ToGrpcStatus(status));
  });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "storage is overloaded"));
  }
  return reactor;
}

}  // namespace im::storage
