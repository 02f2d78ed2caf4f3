#include "logic/account_handlers.h"

#include "common/clock.h"
#include "common/logging.h"
#include "common/str_cat.h"

namespace im::logic {
namespace {

constexpr std::size_t kMaxDeviceIdBytes = 64;
constexpr std::string_view kDefaultDevice = "default";

// Runs `work` on the worker pool; answers "overloaded" if the pool is full.
void OnWorkers(common::WorkPool* pool, const Reply& reply, std::function<void()> work) {
  if (!pool->Submit(std::move(work))) {
    reply(absl::ResourceExhaustedError("server busy, try again"));
  }
}

}  // namespace

void AccountHandlers::RegisterWith(RequestDispatcher& dispatcher) {
  dispatcher.Register(client::ClientFrame::kRegisterUser, Access::kPublic,
                      BindHandler(this, &AccountHandlers::Register));
  dispatcher.Register(client::ClientFrame::kLogin, Access::kPublic,
                      BindHandler(this, &AccountHandlers::Login));
}

void AccountHandlers::Register(const internal::HandleRequest& request, Reply reply) {
  const auto& req = request.frame().register_user();
  if (auto s = ValidateUsername(req.username()); !s.ok()) return reply(s);
  if (auto s = ValidatePassword(req.password()); !s.ok()) return reply(s);
  OnWorkers(
      hash_workers_, reply, [this, username = req.username(), password = req.password(), reply]() {
        auto hash = hasher_->Hash(password);
        if (!hash.ok()) return reply(hash.status());
        internal::CreateUserRequest create;
        create.set_username(username);
        create.set_password_hash(*hash);
        storage_->CreateUser(
            std::move(create),
            [username, reply](absl::StatusOr<internal::CreateUserResponse> created) {
              if (created.status().code() == absl::StatusCode::kAlreadyExists) {
                return reply(absl::AlreadyExistsError(
                    common::StrCat("username '", username, "' is already taken")));
              }
              if (!created.ok()) return reply(created.status());
              common::GetLogger("account")->info("event=registered uid={}", created->user_id());
              internal::HandleResponse response;
              response.mutable_frame()->mutable_register_user()->set_user_id(created->user_id());
              reply(std::move(response));
            });
      });
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
  std::string device_id = req.device_id().empty() ? std::string(kDefaultDevice) : req.device_id();
  internal::SessionContext session = request.session();

  if (!req.session_token().empty()) {
    internal::GetSessionRequest lookup;
    lookup.set_token_hash(HashSessionToken(req.session_token()));
    storage_->GetSession(
        std::move(lookup), [this, session, token = req.session_token(),
                            reply](absl::StatusOr<internal::GetSessionResponse> found) {
          if (found.status().code() == absl::StatusCode::kNotFound) {
            return reply(absl::UnauthenticatedError("session expired, log in with your password"));
          }
          if (!found.ok()) return reply(found.status());
          internal::GetUserRequest get;
          get.set_user_id(found->user_id());
          storage_->GetUser(std::move(get), [this, session, device = found->device_id(), token,
                                             reply](absl::StatusOr<internal::User> user) {
            if (!user.ok()) return reply(user.status());
            CompleteLogin(session, std::move(*user), device, token, false, reply);
          });
        });
    return;
  }

  if (req.username().empty()) return reply(absl::InvalidArgumentError("username is required"));
  internal::GetUserRequest get;
  get.set_username(req.username());
  storage_->GetUser(std::move(get), [this, session, device_id, password = req.password(),
                                     reply](absl::StatusOr<internal::User> user) {
    if (user.status().code() == absl::StatusCode::kNotFound) {
      return reply(absl::NotFoundError("no such user"));
    }
    if (!user.ok()) return reply(user.status());
    OnWorkers(hash_workers_, reply,
              [this, session, device_id, password, user = std::move(*user), reply]() {
                if (!hasher_->Verify(password, user.password_hash())) {
                  common::GetLogger("account")->warn("event=login_refused uid={}", user.user_id());
                  return reply(absl::UnauthenticatedError("wrong password"));
                }
                CompleteLogin(session, user, device_id, NewSessionToken(), true, reply);
              });
  });
}

void AccountHandlers::CompleteLogin(internal::SessionContext session, internal::User user,
                                    std::string device_id, std::string token, bool new_token,
                                    Reply reply) {
  auto register_route = [this, session, user, device_id, token, reply]() {
    internal::RegisterRouteRequest route_request;
    route_request.set_user_id(user.user_id());
    auto* route = route_request.mutable_route();
    route->set_device_id(device_id);
    route->set_access_node_id(session.access_node_id());
    route->set_access_endpoint(session.access_endpoint());
    route->set_conn_id(session.conn_id());
    storage_->RegisterRoute(std::move(route_request),
                            [this, session, user, device_id, token,
                             reply](absl::StatusOr<internal::RegisterRouteResponse> registered) {
                              if (!registered.ok()) return reply(registered.status());
                              if (registered->has_replaced()) {
                                const auto& old = registered->replaced();
                                if (old.access_node_id() != session.access_node_id() ||
                                    old.conn_id() != session.conn_id()) {
                                  internal::KickRequest kick;
                                  kick.mutable_target()->set_conn_id(old.conn_id());
                                  kick.mutable_target()->set_user_id(user.user_id());
                                  kick.set_reason("logged in on the same device elsewhere");
                                  access_->Kick(old.access_endpoint(), std::move(kick));
                                }
                              }
                              common::GetLogger("account")->info(
                                  "event=login uid={} device={} node={} conn={}", user.user_id(),
                                  device_id, session.access_node_id(), session.conn_id());
                              internal::HandleResponse response;
                              auto* login = response.mutable_frame()->mutable_login();
                              login->set_user_id(user.user_id());
                              login->set_username(user.username());
                              login->set_session_token(token);
                              login->set_server_time_ms(common::NowMs());
                              auto* bind = response.mutable_bind();
                              bind->set_user_id(user.user_id());
                              bind->set_username(user.username());
                              bind->set_device_id(device_id);
                              bind->set_route_epoch(registered->epoch());
                              reply(std::move(response));
                            });
  };
  if (!new_token) return register_route();
  internal::CreateSessionRequest create;
  create.set_token_hash(HashSessionToken(token));
  create.set_user_id(user.user_id());
  create.set_device_id(device_id);
  create.set_ttl_seconds(config_.session_ttl_seconds);
  storage_->CreateSession(
      std::move(create),
      [register_route, reply](absl::StatusOr<internal::CreateSessionResponse> s) {
        if (!s.ok()) return reply(s.status());
        register_route();
      });
}

}  // namespace im::logic
