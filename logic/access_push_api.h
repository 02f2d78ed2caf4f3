#pragma once
// What logic asks of the access nodes: push frames to connections and close
// connections, each addressed to the node's push endpoint (a route's
// access_endpoint). Fire and forget: a failed push is logged by the
// implementation, and its recipients get the message by sync instead.
// AccessPushClient (logic/access_push_client.h) is the gRPC one; unit tests
// record the calls instead. Thread-safe.

#include <functional>
#include <string>

#include "access.pb.h"

namespace im::logic {

class AccessPushApi {
 public:
  virtual ~AccessPushApi() = default;

  // `delivered`, if set, runs (on any thread) once the node has queued the
  // frame on its connections; not if the push failed.
  virtual void Push(const std::string& endpoint, internal::PushRequest request,
                    std::function<void()> delivered = {}) = 0;
  virtual void Kick(const std::string& endpoint, internal::KickRequest request) = 0;
};

}  // namespace im::logic
