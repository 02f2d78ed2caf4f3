#include "logic/account_handlers.h"

#include <chrono>

#include "common/clock.h"
#include "common/logging.h"
#include "common/str_cat.h"
#include "logic/hash_work.h"

namespace im::logic {
namespace {

constexpr std::size_t kMaxDeviceIdBytes = 64;
constexpr std::size_t kMaxUsernameBytes = 32;
constexpr std::string_view kDefaultDevice = "default";

internal::Route RouteOf(const internal::SessionContext& session, const std::string& device_id) {
  internal::Route route;
  route.set_device_id(device_id);
  route.set_access_node_id(session.access_node_id());
  route.set_access_endpoint(session.access_endpoint());
  route.set_conn_id(session.conn_id());
  return route;
}

}  // namespace

AccountHandlers::AccountHandlers(const LogicConfig& config, StorageApi* storage,
                                 AccessPushApi* access, const PasswordHasher* hasher,
                                 common::WorkPool* hash_workers, LoginThrottle* throttle,
                                 UserRateLimiter* registrations)
    : config_(config),
      storage_(storage),
      access_(access),
      hasher_(hasher),
      hash_workers_(hash_workers),
      throttle_(throttle),
      registrations_(registrations),
      unknown_user_hash_(hasher->Hash(NewSessionToken()).value_or("")) {}

Suspend<std::monostate> AccountHandlers::HashWorker() const {
  return HashWorkerTurn(hash_workers_,
                        std::chrono::milliseconds(config_.password_queue_max_wait_ms));
}

void AccountHandlers::RegisterWith(RequestDispatcher& dispatcher) {
  dispatcher.Register(client::ClientFrame::kRegisterUser, Access::kPublic,
                      BindHandler(this, &AccountHandlers::Register));
  dispatcher.Register(client::ClientFrame::kLogin, Access::kPublic,
                      BindHandler(this, &AccountHandlers::Login));
  dispatcher.Register(client::ClientFrame::kLogout, Access::kLoggedIn,
                      BindHandler(this, &AccountHandlers::Logout));
}

HandlerTask AccountHandlers::Logout(internal::HandleRequest request, Reply reply) {
  const std::string& token = request.frame().logout().session_token();
  if (token.empty()) co_return reply(absl::InvalidArgumentError("session_token is required"));
  internal::RevokeSessionRequest revoke;
  revoke.set_token_hash(HashSessionToken(token));
  revoke.set_user_id(request.session().user_id());
  auto revoked = co_await Call(storage_, &StorageApi::RevokeSession, std::move(revoke));
  if (!revoked.ok()) co_return reply(revoked.status());
  if (!revoked->revoked()) co_return reply(absl::NotFoundError("no such session"));
  common::GetLogger("account")->info("event=logout uid={}", request.session().user_id());
  internal::HandleResponse response;
  response.mutable_frame()->mutable_logout();
  reply(std::move(response));
}

HandlerTask AccountHandlers::Register(internal::HandleRequest request, Reply reply) {
  const auto& req = request.frame().register_user();
  if (auto s = ValidateUsername(req.username()); !s.ok()) co_return reply(s);
  if (auto s = ValidatePassword(req.password()); !s.ok()) co_return reply(s);
  const std::uint64_t address_key = std::hash<std::string>{}(request.session().peer_address());
  if (auto s = registrations_->Take(address_key); !s.ok()) {
    common::GetLogger("account")->warn("event=registration_limited address={}",
                                       request.session().peer_address());
    co_return reply(s);
  }
  if (auto turn = co_await HashWorker(); !turn.ok()) co_return reply(turn.status());
  auto hash = hasher_->Hash(req.password());
  if (!hash.ok()) co_return reply(hash.status());
  internal::CreateUserRequest create;
  create.set_username(req.username());
  create.set_password_hash(*hash);
  auto created = co_await Call(storage_, &StorageApi::CreateUser, std::move(create));
  if (created.status().code() == absl::StatusCode::kAlreadyExists) {
    co_return reply(absl::AlreadyExistsError(
        common::StrCat("username '", req.username(), "' is already taken")));
  }
  if (!created.ok()) co_return reply(created.status());
  common::GetLogger("account")->info("event=registered uid={}", created->user_id());
  internal::HandleResponse response;
  response.mutable_frame()->mutable_register_user()->set_user_id(created->user_id());
  reply(std::move(response));
}

void AccountHandlers::Login(const internal::HandleRequest& request, Reply reply) {
  const auto& req = request.frame().login();
  if (request.session().user_id() != 0) {
    return reply(absl::FailedPreconditionError("this connection is already logged in"));
  }
  if (req.protocol_version() > kProtocolVersion) {
    return reply(absl::FailedPreconditionError(
        common::StrCat("unsupported protocol version ", req.protocol_version(), " (server speaks ",
                       kProtocolVersion, ")")));
  }
  if (req.device_id().size() > kMaxDeviceIdBytes) {
    return reply(absl::InvalidArgumentError("device_id longer than 64 bytes"));
  }
  if (!req.session_token().empty()) {
    ResumeSession(request.session(), req, std::move(reply));
    return;
  }
  if (req.username().empty()) return reply(absl::InvalidArgumentError("username is required"));
  if (req.username().size() > kMaxUsernameBytes) {
    return reply(absl::InvalidArgumentError("username longer than 32 bytes"));
  }
  LoginWithPassword(
      PasswordLogin{request.session(),
                    req.device_id().empty() ? std::string(kDefaultDevice) : req.device_id(),
                    req.username(), req.password()},
      std::move(reply));
}

HandlerTask AccountHandlers::LoginWithPassword(PasswordLogin login, Reply reply) {
  const std::string& address = login.session.peer_address();
  absl::Status admitted = (co_await AdmitAttempt(throttle_, login.username, address)).status();
  if (!admitted.ok()) co_return reply(admitted);
  internal::GetUserRequest get;
  get.set_username(login.username);
  get.set_with_password_hash(true);
  auto user = co_await Call(storage_, &StorageApi::GetUser, std::move(get));
  const bool known = user.ok();
  if (!known && user.status().code() != absl::StatusCode::kNotFound) {
    co_return reply(user.status());
  }
  // An unknown name costs the same hash as a wrong password, and gets the
  // same answer: neither tells whether the name exists.
  if (auto turn = co_await HashWorker(); !turn.ok()) co_return reply(turn.status());
  const bool right =
      hasher_->Verify(login.password, known ? user->password_hash() : unknown_user_hash_) && known;
  if (!right) {
    common::GetLogger("account")->warn("event=login_refused uid={} address={}",
                                       known ? user->user_id() : 0, address);
    co_return throttle_->Failed(login.username, address, reply);
  }
  throttle_->Succeeded(login.username);

  std::string token = NewSessionToken();
  internal::CreateSessionRequest create;
  create.set_token_hash(HashSessionToken(token));
  create.set_user_id(user->user_id());
  create.set_device_id(login.device_id);
  create.set_ttl_seconds(config_.session_ttl_seconds);
  auto created = co_await Call(storage_, &StorageApi::CreateSession, std::move(create));
  if (!created.ok()) co_return reply(created.status());

  internal::RegisterRouteRequest route_request;
  route_request.set_user_id(user->user_id());
  *route_request.mutable_route() = RouteOf(login.session, login.device_id);
  route_request.set_max_devices(static_cast<std::uint32_t>(config_.devices_online_per_user));
  auto registered =
      co_await Call(storage_, &StorageApi::RegisterRoute, std::move(route_request));
  // Redis down: MySQL has the session, so the login stands; the access node
  // registers the route when Redis is back (epoch 0).
  if (registered.status().code() == absl::StatusCode::kUnavailable) {
    registered = internal::RegisterRouteResponse();
  } else if (!registered.ok()) {
    // Refused (too many devices online): the session just made is never
    // handed out, so it goes too.
    internal::RevokeSessionRequest revoke;
    revoke.set_token_hash(HashSessionToken(token));
    revoke.set_user_id(user->user_id());
    storage_->RevokeSession(std::move(revoke), [](auto) {});
    co_return reply(registered.status());
  }
  FinishLogin(login.session, user->user_id(), user->username(), login.device_id, token, *registered,
              reply);
}

HandlerTask AccountHandlers::ResumeSession(internal::SessionContext session,
                                           client::LoginRequest login, Reply reply) {
  internal::ResumeSessionRequest resume;
  resume.set_token_hash(HashSessionToken(login.session_token()));
  *resume.mutable_route() = RouteOf(session, "");
  // A token is bound to its user and device: naming others is refused.
  resume.set_username(login.username());
  resume.set_device_id(login.device_id());
  resume.set_max_devices(static_cast<std::uint32_t>(config_.devices_online_per_user));
  auto resumed = co_await Call(storage_, &StorageApi::ResumeSession, std::move(resume));
  if (resumed.status().code() == absl::StatusCode::kNotFound) {
    co_return reply(absl::UnauthenticatedError("session expired, log in with your password"));
  }
  if (resumed.status().code() == absl::StatusCode::kPermissionDenied) {
    co_return reply(absl::UnauthenticatedError(
        "this session is for another user or device: log in with your password"));
  }
  if (!resumed.ok()) co_return reply(resumed.status());
  FinishLogin(session, resumed->user_id(), resumed->username(), resumed->device_id(),
              login.session_token(), resumed->route(), reply);
}

void AccountHandlers::FinishLogin(const internal::SessionContext& session, std::uint64_t user_id,
                                  const std::string& username, const std::string& device_id,
                                  const std::string& token,
                                  const internal::RegisterRouteResponse& registered,
                                  const Reply& reply) {
  if (registered.has_replaced()) {
    const auto& old = registered.replaced();
    if (old.access_node_id() != session.access_node_id() || old.conn_id() != session.conn_id()) {
      KickReplaced(access_, user_id, old);
    }
  }
  common::GetLogger("account")->info("event=login uid={} device={} node={} conn={} route={}",
                                     user_id, device_id, session.access_node_id(),
                                     session.conn_id(),
                                     registered.epoch() == 0 ? "pending" : "registered");
  internal::HandleResponse response;
  auto* login = response.mutable_frame()->mutable_login();
  login->set_user_id(user_id);
  login->set_username(username);
  login->set_session_token(token);
  login->set_server_time_ms(common::NowMs());
  auto* bind = response.mutable_bind();
  bind->set_user_id(user_id);
  bind->set_username(username);
  bind->set_device_id(device_id);
  bind->set_route_epoch(registered.epoch());
  reply(std::move(response));
  if (logged_in_) logged_in_(user_id, username);
}

void KickReplaced(AccessPushApi* access, std::uint64_t user_id, const internal::Route& old) {
  KickRoute(access, user_id, old, "logged in on the same device elsewhere");
}

void KickRoute(AccessPushApi* access, std::uint64_t user_id, const internal::Route& route,
               const std::string& reason) {
  internal::KickRequest kick;
  kick.mutable_target()->set_conn_id(route.conn_id());
  kick.mutable_target()->set_user_id(user_id);
  kick.set_reason(reason);
  access->Kick(route.access_endpoint(), std::move(kick));
}

}  // namespace im::logic
