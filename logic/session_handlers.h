#pragma once
// A logged-in user's sessions: list them by device, revoke one device's, and
// change the password (which ends every other device's sessions). A revoked
// device's connection is closed with a Kick that says why. Changing the
// password checks the old one on the hash workers; a wrong old password
// counts as a failed login for the account (LoginThrottle).
// Thread-safe; all work is asynchronous.

#include "common/work_pool.h"
#include "logic/access_push_api.h"
#include "logic/handler_task.h"
#include "logic/logic_config.h"
#include "logic/login_throttle.h"
#include "logic/password_hasher.h"
#include "logic/request_dispatcher.h"
#include "logic/storage_api.h"

namespace im::logic {

class SessionHandlers {
 public:
  SessionHandlers(const LogicConfig& config, StorageApi* storage, AccessPushApi* access,
                  const PasswordHasher* hasher, common::WorkPool* hash_workers,
                  LoginThrottle* throttle)
      : config_(config),
        storage_(storage),
        access_(access),
        hasher_(hasher),
        hash_workers_(hash_workers),
        throttle_(throttle) {}

  void RegisterWith(RequestDispatcher& dispatcher);

 private:
  HandlerTask Devices(internal::HandleRequest request, Reply reply);
  HandlerTask RevokeDevice(internal::HandleRequest request, Reply reply);
  // Checks the old password (throttled like a login, hashed on the workers),
  // stores the new hash, ends the other devices' sessions, closes their
  // connections, answers.
  HandlerTask ChangePassword(internal::HandleRequest request, Reply reply);
  // Closes the user's connections on `devices` (best effort: a connection
  // whose route is unknown can no longer resume its session anyway).
  void KickDevices(std::uint64_t user_id, std::vector<std::string> devices,
                   const std::string& reason);

  const LogicConfig& config_;
  StorageApi* storage_;
  AccessPushApi* access_;
  const PasswordHasher* hasher_;
  common::WorkPool* hash_workers_;
  LoginThrottle* throttle_;
};

}  // namespace im::logic
