#pragma once
// Register, Login and Logout. Password logins pass the LoginThrottle (an
// unknown name and a wrong password cost the same and get the same answer).
// Login with a password (or a session token from an earlier login) binds the
// connection: it stores the device's route and,
// if another connection held the same device, kicks that one. Logout revokes
// one of the logged-in user's session tokens.
// Thread-safe; all work is asynchronous (hashing runs on `hash_workers`).

#include "common/work_pool.h"
#include "logic/access_push_api.h"
#include "logic/handler_task.h"
#include "logic/logic_config.h"
#include "logic/login_throttle.h"
#include "logic/password_hasher.h"
#include "logic/request_dispatcher.h"
#include "logic/storage_api.h"
#include "logic/user_rate_limiter.h"

namespace im::logic {

inline constexpr std::uint32_t kProtocolVersion = 1;

class AccountHandlers {
 public:
  // Hashes one throwaway password (the stand-in checked for unknown names).
  // `registrations` is keyed by client address: each register takes a token
  // before any hashing.
  AccountHandlers(const LogicConfig& config, StorageApi* storage, AccessPushApi* access,
                  const PasswordHasher* hasher, common::WorkPool* hash_workers,
                  LoginThrottle* throttle, UserRateLimiter* registrations);

  void RegisterWith(RequestDispatcher& dispatcher);

  // Called after each login is answered (password or token), with the user
  // (DeskHandlers::OnLoggedIn). Set before requests arrive.
  using LoggedIn = std::function<void(std::uint64_t user_id, const std::string& username)>;
  void OnLoggedIn(LoggedIn observer) { logged_in_ = std::move(observer); }

 private:
  HandlerTask Register(internal::HandleRequest request, Reply reply);
  void Login(const internal::HandleRequest& request, Reply reply);
  HandlerTask Logout(internal::HandleRequest request, Reply reply);

  struct PasswordLogin {
    internal::SessionContext session;
    std::string device_id;
    std::string username;
    std::string password;
  };
  // Past the throttle, checks the password (on the hash workers; a failure
  // is counted and answered by the throttle), creates a session, registers
  // the route, and finishes the login.
  HandlerTask LoginWithPassword(PasswordLogin login, Reply reply);
  // A token login: one storage call finds the session and registers the
  // route. The token must be for the user and device the request names
  // (where it names them).
  HandlerTask ResumeSession(internal::SessionContext session, client::LoginRequest login,
                            Reply reply);
  // Once the route is registered: kicks the connection it replaced, answers.
  void FinishLogin(const internal::SessionContext& session, std::uint64_t user_id,
                   const std::string& username, const std::string& device_id,
                   const std::string& token, const internal::RegisterRouteResponse& registered,
                   const Reply& reply);
  // HashWorkerTurn (logic/hash_work.h) with password_queue_max_wait_ms.
  Suspend<std::monostate> HashWorker() const;

  const LogicConfig& config_;
  StorageApi* storage_;
  AccessPushApi* access_;
  const PasswordHasher* hasher_;
  common::WorkPool* hash_workers_;
  LoginThrottle* throttle_;
  UserRateLimiter* registrations_;
  LoggedIn logged_in_;
  const std::string unknown_user_hash_;
};

// Tells the access node holding `old` (a route of `user_id`'s device that a
// newer login replaced) to close that connection.
void KickReplaced(AccessPushApi* access, std::uint64_t user_id, const internal::Route& old);
// Tells the access node holding `route` to close that connection, saying why.
void KickRoute(AccessPushApi* access, std::uint64_t user_id, const internal::Route& route,
               const std::string& reason);

}  // namespace im::logic
