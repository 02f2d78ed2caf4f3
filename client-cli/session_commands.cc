// im-cli login and logout (sessions kept for later commands, saved_sessions.h),
// devices (the user's sessions on the server) and passwd.

#include <algorithm>
#include <iostream>

#include "client-cli/cli_output.h"
#include "client-cli/commands.h"
#include "client-cli/saved_sessions.h"

namespace im::cli {

int RunLogin(const CliOptions& options) {
  if (!options.args.empty()) {
    std::cerr << "im-cli: usage: im-cli --user NAME login [--device ID]\n";
    return kExitUsage;
  }
  if (options.user.empty()) {
    std::cerr << "im-cli: no user given: use --user NAME or set IM_USER\n";
    return kExitUsage;
  }
  SavedSessions saved;
  if (saved.path().empty()) {
    return ReportError(
        absl::FailedPreconditionError("nowhere to keep the session: set HOME or XDG_CONFIG_HOME"));
  }
  // Every device a later command may use: one session each (a token is bound
  // to its device), so the chat window, listen and commands never end each other.
  const std::vector<std::string> devices =
      options.device_given ? std::vector<std::string>{options.device}
                           : std::vector<std::string>{DefaultDevice(""), DefaultDevice("listen"),
                                                      DefaultDevice("login")};
  auto password = ResolvePassword(options, "Password for " + options.user + ": ");
  if (!password.ok()) return ReportError(password.status());
  for (const auto& device : devices) {
    auto client = ImClient::Connect(options.server, options.tls);
    if (!client.ok()) return ReportError(client.status());
    auto login = (*client)->Login(options.user, *password, device);
    if (!login.ok()) return ReportError(login.status());
    // A session saved before for this device is replaced: end it.
    if (auto old = saved.Find(options.server, options.user, device)) {
      (*client)->Logout(*old).IgnoreError();
    }
    if (absl::Status kept =
            saved.Save({options.server, options.user, device, login->session_token()});
        !kept.ok()) {
      (*client)->Logout(login->session_token()).IgnoreError();
      return ReportError(kept);
    }
  }
  std::cout << "logged in as " << options.user << " on " << options.server
            << ": later commands use the saved session (kept in " << saved.path()
            << ") and ask for no password; `im-cli logout` ends it\n";
  return kExitOk;
}

int RunLogout(const CliOptions& options) {
  if (!options.args.empty() || options.user.empty()) {
    std::cerr << "im-cli: usage: im-cli --user NAME logout\n";
    return kExitUsage;
  }
  SavedSessions saved;
  auto sessions = saved.ForUser(options.server, options.user);
  if (sessions.empty()) {
    std::cout << "no saved session of " << options.user << " on " << options.server << "\n";
    return kExitOk;
  }
  // One connection, logged in with a saved session (the commands' first: it
  // ends no chat window), revokes them all.
  std::stable_partition(sessions.begin(), sessions.end(),
                        [](const SavedSession& s) { return s.device == DefaultDevice("logout"); });
  std::unique_ptr<ImClient> client;
  for (const auto& session : sessions) {
    auto connected = ImClient::Connect(options.server, options.tls);
    if (!connected.ok()) return ReportError(connected.status());  // kept: try again later
    auto login = (*connected)->LoginWithToken(options.user, session.token, session.device);
    if (login.ok()) {
      client = std::move(*connected);
      break;
    }
    if (login.status().code() != absl::StatusCode::kUnauthenticated) {
      return ReportError(login.status());
    }
  }
  int revoked = 0;
  if (client != nullptr) {
    for (const auto& session : sessions) {
      if (client->Logout(session.token).ok()) ++revoked;
    }
  }
  if (absl::Status forgot = saved.Remove(options.server, options.user); !forgot.ok()) {
    return ReportError(forgot);
  }
  std::cout << "logged out " << options.user << " on " << options.server << ": " << revoked
            << " session" << (revoked == 1 ? "" : "s") << " ended, "
            << sessions.size() - static_cast<std::size_t>(revoked) << " had already ended\n";
  return kExitOk;
}

int RunDevices(const CliOptions& options) {
  const bool revoke = !options.args.empty() && options.args[0] == "revoke";
  if (revoke ? options.args.size() != 2 : !options.args.empty()) {
    std::cerr << "im-cli: usage: im-cli devices  or  im-cli devices revoke DEVICE\n";
    return kExitUsage;
  }
  return WithLogin(options, [&](ImClient& client, const std::string&) -> absl::Status {
    client::ClientFrame request;
    if (revoke) {
      request.mutable_revoke_device()->set_device_id(options.args[1]);
      auto revoked = client.Request(std::move(request));
      if (!revoked.ok()) return revoked.status();
      const auto n = revoked->revoke_device().sessions_revoked();
      std::cout << (options.json
                        ? "{\"type\":\"device_revoked\",\"device\":" + JsonString(options.args[1]) +
                              ",\"sessions\":" + std::to_string(n) + "}"
                        : "signed out device " + options.args[1] + " (" + std::to_string(n) +
                              (n == 1 ? " session)" : " sessions)"))
                << "\n";
      return absl::OkStatus();
    }
    request.mutable_devices();
    auto devices = client.Request(std::move(request));
    if (!devices.ok()) return devices.status();
    for (const auto& s : devices->devices().sessions()) {
      if (options.json) {
        std::cout << "{\"type\":\"session\",\"device\":" << JsonString(s.device_id())
                  << ",\"created_at_ms\":" << s.created_at_ms()
                  << ",\"expires_at_ms\":" << s.expires_at_ms()
                  << ",\"current\":" << (s.current() ? "true" : "false") << "}\n";
      } else {
        std::cout << s.device_id() << (s.current() ? " (this command)" : "") << "  logged in "
                  << FormatTime(s.created_at_ms()) << ", expires " << FormatTime(s.expires_at_ms())
                  << "\n";
      }
    }
    return absl::OkStatus();
  });
}

int RunPasswd(const CliOptions& options) {
  if (!options.args.empty()) {
    std::cerr << "im-cli: usage: im-cli --user NAME passwd [--new-password PW]\n";
    return kExitUsage;
  }
  return WithLogin(options, [&](ImClient& client, const std::string& user) -> absl::Status {
    auto old_password = ResolvePassword(options, "Current password for " + user + ": ");
    if (!old_password.ok()) return old_password.status();
    std::string new_password;
    if (options.new_password) {
      new_password = *options.new_password;
    } else {
      CliOptions ask = options;
      ask.password.reset();
      auto typed = ResolvePassword(ask, "New password: ");
      if (!typed.ok()) return typed.status();
      auto again = ResolvePassword(ask, "The new password again: ");
      if (!again.ok()) return again.status();
      if (*typed != *again) {
        return absl::InvalidArgumentError("the new passwords differ; nothing was changed");
      }
      new_password = *typed;
    }
    client::ClientFrame request;
    request.mutable_change_password()->set_old_password(*old_password);
    request.mutable_change_password()->set_new_password(new_password);
    auto changed = client.Request(std::move(request));
    if (!changed.ok()) return changed.status();
    const auto n = changed->change_password().sessions_revoked();
    std::cout << (options.json ? "{\"type\":\"password_changed\",\"sessions_revoked\":" +
                                     std::to_string(n) + "}"
                               : "password changed; " + std::to_string(n) +
                                     " session(s) of other devices ended")
              << "\n";
    return absl::OkStatus();
  });
}

}  // namespace im::cli
