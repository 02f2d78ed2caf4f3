#pragma once
// The one-shot im-cli commands. Each returns the process exit code and prints
// errors to stderr in words a person understands.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "client-cli/cli_options.h"
#include "client-cli/im_client.h"

namespace im::cli {

int RunRegister(const CliOptions& options);
// login: keeps sessions for the default devices (or --device) so later
// commands need no password; logout: revokes and forgets them.
int RunLogin(const CliOptions& options);
int RunLogout(const CliOptions& options);
int RunSend(const CliOptions& options);
int RunListen(const CliOptions& options);
int RunConversations(const CliOptions& options);  // conv list
int RunHistory(const CliOptions& options);
int RunRead(const CliOptions& options);
int RunRecall(const CliOptions& options);
// friend / block / privacy: options.command is the group, options.args the rest.
int RunRelation(const CliOptions& options);
// group ...: options.args is what follows "group".
int RunGroup(const CliOptions& options);
// desk list|reply|transfer|close|history DESK ... (desk_commands.h)
int RunDesk(const CliOptions& options);

int RunDevices(const CliOptions& options);  // devices [revoke DEVICE]
int RunPasswd(const CliOptions& options);   // passwd

// Logs in (a saved session, or the password), runs `body`, ends the sessions
// the password login made; the exit code for body's status.
int WithLogin(const CliOptions& options,
              const std::function<absl::Status(ImClient&, const std::string& user)>& body);

// The password from the options, or asked on the terminal (no echo), or read
// from a piped stdin.
absl::StatusOr<std::string> ResolvePassword(const CliOptions& options, const std::string& prompt);

// Prints "im-cli: <message>" to stderr and returns the exit code for it.
int ReportError(const absl::Status& status);
// Prints "im-cli: <message>" to stderr and returns the bad-command-line code.
int ReportUsage(const absl::Status& status);

}  // namespace im::cli
