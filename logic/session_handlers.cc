#include "logic/session_handlers.h"

#include <algorithm>

#include "common/client_status.h"
#include "common/logging.h"
#include "common/str_cat.h"
#include "logic/account_handlers.h"
#include "logic/hash_work.h"

namespace im::logic {

void SessionHandlers::RegisterWith(RequestDispatcher& dispatcher) {
  dispatcher.Register(client::ClientFrame::kDevices, Access::kLoggedIn,
                      BindHandler(this, &SessionHandlers::Devices));
  dispatcher.Register(client::ClientFrame::kRevokeDevice, Access::kLoggedIn,
                      BindHandler(this, &SessionHandlers::RevokeDevice));
  dispatcher.Register(client::ClientFrame::kChangePassword, Access::kLoggedIn,
                      BindHandler(this, &SessionHandlers::ChangePassword));
}

HandlerTask SessionHandlers::Devices(internal::HandleRequest request, Reply reply) {
  internal::UserRef user;
  user.set_user_id(request.session().user_id());
  auto list = co_await Call(storage_, &StorageApi::ListSessions, std::move(user));
  if (!list.ok()) co_return reply(list.status());
  internal::HandleResponse response;
  auto* devices = response.mutable_frame()->mutable_devices();
  for (const auto& s : list->sessions()) {
    auto* info = devices->add_sessions();
    info->set_device_id(s.device_id());
    info->set_created_at_ms(s.created_at_ms());
    info->set_expires_at_ms(s.expires_at_ms());
    info->set_current(s.device_id() == request.session().device_id());
  }
  reply(std::move(response));
}

HandlerTask SessionHandlers::RevokeDevice(internal::HandleRequest request, Reply reply) {
  const std::string& device = request.frame().revoke_device().device_id();
  const std::uint64_t user_id = request.session().user_id();
  if (device.empty()) co_return reply(absl::InvalidArgumentError("device_id is required"));
  if (device == request.session().device_id()) {
    co_return reply(absl::FailedPreconditionError(
        "that is this connection's device: log out to end its session"));
  }
  internal::RevokeSessionsRequest revoke;
  revoke.set_user_id(user_id);
  revoke.set_device_id(device);
  auto revoked = co_await Call(storage_, &StorageApi::RevokeSessions, std::move(revoke));
  if (!revoked.ok()) co_return reply(revoked.status());
  if (revoked->revoked() == 0) {
    co_return reply(absl::NotFoundError(common::StrCat("no session on device '", device, "'")));
  }
  common::GetLogger("account")->info("event=device_revoked uid={} device={} sessions={}", user_id,
                                     device, revoked->revoked());
  KickDevices(user_id, {device}, "signed out from another device");
  internal::HandleResponse response;
  response.mutable_frame()->mutable_revoke_device()->set_sessions_revoked(revoked->revoked());
  reply(std::move(response));
}

HandlerTask SessionHandlers::ChangePassword(internal::HandleRequest request, Reply reply) {
  const auto& change = request.frame().change_password();
  const internal::SessionContext& session = request.session();
  if (change.old_password().empty()) {
    co_return reply(absl::InvalidArgumentError("old_password is required"));
  }
  if (auto s = ValidatePassword(change.new_password()); !s.ok()) co_return reply(s);
  absl::Status admitted = (co_await AdmitAttempt(throttle_, session.username(), "")).status();
  if (!admitted.ok()) co_return reply(admitted);
  internal::GetUserRequest get;
  get.set_username(session.username());
  get.set_with_password_hash(true);
  auto user = co_await Call(storage_, &StorageApi::GetUser, std::move(get));
  if (!user.ok()) co_return reply(user.status());
  if (auto turn = co_await HashWorkerTurn(
          hash_workers_, std::chrono::milliseconds(config_.password_queue_max_wait_ms));
      !turn.ok()) {
    co_return reply(turn.status());
  }
  if (!hasher_->Verify(change.old_password(), user->password_hash())) {
    absl::Status failed = (co_await CountFailure(throttle_, session.username(), "")).status();
    absl::Status wrong = absl::UnauthenticatedError("the old password is wrong");
    if (auto after = common::RetryAfter(failed)) {
      wrong = common::WithRetryAfter(std::move(wrong), *after);
    }
    co_return reply(std::move(wrong));
  }
  auto new_hash = hasher_->Hash(change.new_password());
  if (!new_hash.ok()) co_return reply(new_hash.status());

  internal::RevokeSessionsRequest revoke;
  revoke.set_user_id(session.user_id());
  revoke.set_device_id(session.device_id());
  revoke.set_all_but_device(true);
  revoke.set_password_hash(std::move(*new_hash));
  auto revoked = co_await Call(storage_, &StorageApi::RevokeSessions, std::move(revoke));
  if (!revoked.ok()) co_return reply(revoked.status());
  throttle_->Succeeded(session.username());
  common::GetLogger("account")->info("event=password_changed uid={} sessions_revoked={}",
                                     session.user_id(), revoked->revoked());
  KickDevices(session.user_id(), {revoked->devices().begin(), revoked->devices().end()},
              "the password was changed: log in again");
  internal::HandleResponse response;
  response.mutable_frame()->mutable_change_password()->set_sessions_revoked(revoked->revoked());
  reply(std::move(response));
}

void SessionHandlers::KickDevices(std::uint64_t user_id, std::vector<std::string> devices,
                                  const std::string& reason) {
  if (devices.empty()) return;
  internal::GetRoutesRequest lookup;
  lookup.add_user_ids(user_id);
  storage_->GetRoutes(std::move(lookup), [this, user_id, devices = std::move(devices), reason](
                                             absl::StatusOr<internal::GetRoutesResponse> routes) {
    if (!routes.ok()) {
      common::GetLogger("account")->warn("event=kick_devices_failed uid={} error=\"{}\"", user_id,
                                         routes.status().message());
      return;
    }
    for (const auto& user : routes->users()) {
      for (const auto& route : user.routes()) {
        if (std::find(devices.begin(), devices.end(), route.device_id()) != devices.end()) {
          KickRoute(access_, user_id, route, reason);
        }
      }
    }
  });
}

}  // namespace im::logic
