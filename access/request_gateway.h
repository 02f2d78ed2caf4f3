#pragma once
// What a client connection needs of logic: forward one request with the
// connection's session context and hear its answer, and say that a logged-in
// session ended. LogicClient (access/logic_client.h) is the real one, over
// gRPC; unit tests of Connection put a scripted fake in its place.
//
// `done` runs exactly once, on any thread (the connection posts to its own).
// Implementations are thread-safe and outlive every connection using them.

#include <functional>

#include "absl/status/statusor.h"
#include "logic.pb.h"

namespace im::access {

class RequestGateway {
 public:
  using Done = std::function<void(absl::StatusOr<internal::HandleResponse>)>;

  virtual ~RequestGateway() = default;
  virtual void Handle(internal::HandleRequest request, Done done) = 0;
  // Fire and forget, after every request of the same connection before it.
  virtual void SessionClosed(internal::SessionContext session) = 0;
};

}  // namespace im::access
