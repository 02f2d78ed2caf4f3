// im-cli: the bundled chat client. One-shot commands for scripts, or an
// interactive session when no command is given. See `im-cli --help`.

#include <unistd.h>

#include <iostream>

#include "client-cli/cli_options.h"
#include "client-cli/cli_output.h"
#include "client-cli/commands.h"
#include "client-cli/relation_commands.h"
#include "client-cli/repl.h"

int main(int argc, char** argv) {
  using namespace im::cli;
  auto options = ParseCliOptions(argc, argv, environ);
  if (!options.ok()) {
    std::cerr << "im-cli: " << options.status().message() << "\n" << UsageText();
    return kExitUsage;
  }
  if (options->help) {
    std::cout << UsageText();
    return kExitOk;
  }
  if (options->command.empty()) return RunRepl(*options);
  if (options->command == "register") return RunRegister(*options);
  if (options->command == "login") return RunLogin(*options);
  if (options->command == "logout") return RunLogout(*options);
  if (options->command == "devices") return RunDevices(*options);
  if (options->command == "passwd") return RunPasswd(*options);
  if (options->command == "send") return RunSend(*options);
  if (options->command == "listen") return RunListen(*options);
  if (options->command == "conv") return RunConversations(*options);
  if (options->command == "history") return RunHistory(*options);
  if (options->command == "read") return RunRead(*options);
  if (options->command == "recall") return RunRecall(*options);
  if (IsRelationGroup(options->command)) return RunRelation(*options);
  if (options->command == "group") return RunGroup(*options);
  if (options->command == "desk") return RunDesk(*options);
  std::cerr << "im-cli: unknown command \"" << options->command << "\"\n" << UsageText();
  return kExitUsage;
}
