#pragma once
// The HTTP long-poll sessions of this access node, by session token.
//
// Open() starts a session for one client: a Connection over a PollMailbox
// (access/poll_mailbox.h), registered in the ConnectionRegistry like any
// connection (same caps, same pushes by connection id). Once the session's
// login is answered with a token, Bind() files it under that token, which
// the client then names in each request (Authorization: Bearer TOKEN); a
// later login with the same token replaces it, and the replaced session is
// hung up. A session leaves the table when it closes (logout, kick, idle
// timeout because the client stopped polling, node shutdown).
// Thread-safe; outlives every session (owned by main).

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "access/connection.h"
#include "access/connection_registry.h"
#include "access/poll_mailbox.h"

namespace im::access {

class PollSessions {
 public:
  // `options` (their websocket and TLS settings unused) and the rest outlive this.
  PollSessions(const ConnectionOptions& options, RequestGateway* logic,
               ConnectionRegistry* registry, LoginAdmission* admission)
      : options_(options), logic_(logic), registry_(registry), admission_(admission) {}

  // A new session on `executor` for a client at `peer` (its address, and its
  // key in the registry). RESOURCE_EXHAUSTED when the registry's caps are reached.
  absl::StatusOr<std::shared_ptr<PollMailbox>> Open(PollMailbox::Executor executor,
                                                    const std::string& peer,
                                                    const ConnectionRegistry::Address& peer_key);
  void Bind(const std::string& token, const std::shared_ptr<PollMailbox>& mailbox);
  // Null if no open session has that token.
  std::shared_ptr<PollMailbox> Find(const std::string& token) const;
  std::size_t size() const;
  // Where the long-poll port's HTTP connections are counted too (Reserve/Release).
  ConnectionRegistry* registry() const { return registry_; }

 private:
  void Forget(const std::string& token, const PollMailbox* mailbox);

  const ConnectionOptions& options_;
  RequestGateway* const logic_;
  ConnectionRegistry* const registry_;
  LoginAdmission* const admission_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<PollMailbox>> by_token_;
};

}  // namespace im::access
