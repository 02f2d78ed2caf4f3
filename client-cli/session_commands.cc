// im-cli login and logout: sessions kept for later commands (saved_sessions.h).

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

}  // namespace im::cli
