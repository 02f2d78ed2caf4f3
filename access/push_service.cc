#include "access/push_service.h"

#include "access/connection.h"
#include "common/frame_codec.h"

namespace im::access {

std::uint32_t PushService::Push(const internal::PushRequest& request) {
  push_requests_.fetch_add(1, std::memory_order_relaxed);
  push_targets_.fetch_add(request.targets_size(), std::memory_order_relaxed);
  const std::string encoded = common::EncodeFrame(request.frame());
  std::uint32_t delivered = 0;
  for (const auto& target : request.targets()) {
    if (auto conn = registry_->Find(target.conn_id())) {
      conn->Deliver(target.user_id(), encoded);
      ++delivered;
    }
  }
  return delivered;
}

grpc::ServerUnaryReactor* PushService::Kick(grpc::CallbackServerContext* ctx,
                                            const internal::KickRequest* request,
                                            internal::KickResponse* response) {
  auto conn = registry_->Find(request->target().conn_id());
  if (conn != nullptr) conn->Kick(request->target().user_id(), request->reason());
  response->set_kicked(conn != nullptr);
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* PushService::Stats(grpc::CallbackServerContext* ctx,
                                             const internal::AccessStatsRequest* /*request*/,
                                             internal::AccessStatsResponse* response) {
  response->set_connections(registry_->size());
  response->set_push_requests(push_requests());
  response->set_push_targets(push_targets());
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace im::access
