#include "access/push_service.h"

#include "access/connection.h"
#include "common/frame_codec.h"

namespace im::access {

grpc::ServerUnaryReactor* PushService::Push(grpc::CallbackServerContext* ctx,
                                            const internal::PushRequest* request,
                                            internal::PushResponse* response) {
  const std::string encoded = common::EncodeFrame(request->frame());
  std::uint32_t delivered = 0;
  for (const auto& target : request->targets()) {
    if (auto conn = registry_->Find(target.conn_id())) {
      conn->Deliver(target.user_id(), encoded);
      ++delivered;
    }
  }
  response->set_delivered(delivered);
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
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

}  // namespace im::access
