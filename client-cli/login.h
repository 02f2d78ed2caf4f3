#pragma once
// How im-cli logs in as options.user on options.device: with the session
// saved for (server, user, device) by `im-cli login` if there is one, else
// with the password (--password, $IM_PASSWORD, or asked once, and only
// then). A saved session the server no longer knows (expired, revoked) is
// forgotten and the password is used. Sessions made by password logins here
// are not kept: Finish() revokes them, so commands leave no session behind.
// One per command; Connect may be called again to reconnect. Not thread-safe.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client-cli/cli_options.h"
#include "client-cli/im_client.h"
#include "client-cli/saved_sessions.h"

namespace im::cli {

class Login {
 public:
  explicit Login(const CliOptions& options);

  // Connects to options.server (its addresses in turn) and logs in.
  absl::StatusOr<std::unique_ptr<ImClient>> Connect();
  // The password: from the options, or asked on the terminal (once).
  absl::StatusOr<std::string> Password();
  // Revokes, over `client` (logged in), the sessions password logins made.
  void Finish(ImClient& client);

 private:
  const CliOptions& options_;
  SavedSessions saved_;
  std::optional<std::string> token_;     // the saved session's, while the server takes it
  std::optional<std::string> password_;  // once known
  std::vector<std::string> made_;        // tokens of password logins: revoked by Finish
};

}  // namespace im::cli
