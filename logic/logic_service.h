#pragma once
// The Logic gRPC service (callback API): Handle passes each forwarded client
// request to the dispatcher and finishes when the handler replies;
// SessionClosed forgets the connection's route if it is still the current
// one. Stateless: any replica can serve any request. Never blocks a reactor.

#include "logic.grpc.pb.h"
#include "logic/request_dispatcher.h"
#include "logic/storage_client.h"

namespace im::logic {

class LogicService final : public internal::Logic::CallbackService {
 public:
  LogicService(const RequestDispatcher* dispatcher, StorageClient* storage)
      : dispatcher_(dispatcher), storage_(storage) {}

  grpc::ServerUnaryReactor* Handle(grpc::CallbackServerContext* ctx,
                                   const internal::HandleRequest* request,
                                   internal::HandleResponse* response) override;
  grpc::ServerUnaryReactor* SessionClosed(grpc::CallbackServerContext* ctx,
                                          const internal::SessionClosedRequest* request,
                                          internal::SessionClosedResponse* response) override;

 private:
  const RequestDispatcher* dispatcher_;
  StorageClient* storage_;
};

}  // namespace im::logic
