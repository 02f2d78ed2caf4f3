#pragma once
// Token logins in batches: callers Submit a ResumeSessionRequest; committer
// threads take what queued meanwhile (up to 200) and resolve every token in a
// few queries (UserStore::FindSessions) and register every route in one
// pipelined Redis round trip (RouteStore::RegisterMany), so a reconnect storm
// costs a few round trips per batch instead of two per login. Under light
// load a login is resolved alone, at once.
//
// Answers: the session's user, device and new route; NOT_FOUND for an unknown
// or expired token; PERMISSION_DENIED (nothing registered) when the request
// names a user or device the session is not for; the store's error for
// everyone in a batch whose query
// failed. While Redis is unavailable the session is answered with route
// epoch 0 (no route yet): MySQL holds all a login needs, and the access node
// registers the route once Redis answers again (RestoreRoutes, epoch 0). Thread-safe; `done` runs
// once, on a committer thread (or at once, RESOURCE_EXHAUSTED, when the queue is full). The
// destructor answers what is queued, then joins; the stores outlive the resumer.

#include <functional>

#include "absl/status/statusor.h"
#include "storage.pb.h"
#include "storage/group_committer.h"
#include "storage/route_store.h"
#include "storage/user_store.h"

namespace im::storage {

class SessionResumer {
 public:
  using Done = std::function<void(absl::StatusOr<internal::ResumeSessionResponse>)>;

  SessionResumer(UserStore* users, RouteStore* routes, std::size_t threads, std::size_t max_queued);

  void Submit(internal::ResumeSessionRequest request, Done done);

 private:
  struct Item {
    internal::ResumeSessionRequest request;
    Done done;
  };
  void Resume(std::vector<Item>& batch);

  UserStore* users_;
  RouteStore* routes_;
  GroupCommitter<Item> committer_;  // last: its threads use the members above
};

}  // namespace im::storage
