#pragma once
// Logic's client of the access nodes' Access service. One channel per access
// endpoint, made on first use and kept. Pushes are fire-and-forget from the
// caller's view: a failed push is logged, and the recipient gets the message
// by sync instead. Thread-safe.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "access.grpc.pb.h"

namespace im::logic {

class AccessPushClient {
 public:
  explicit AccessPushClient(std::chrono::milliseconds timeout) : timeout_(timeout) {}

  void Push(const std::string& endpoint, internal::PushRequest request);
  void Kick(const std::string& endpoint, internal::KickRequest request);

 private:
  internal::Access::Stub* StubFor(const std::string& endpoint);

  std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<internal::Access::Stub>> stubs_;
};

}  // namespace im::logic
