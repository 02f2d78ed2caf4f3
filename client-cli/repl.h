#pragma once
// Interactive im-cli: logs in (offering to register an unknown name, the
// password typed twice), then reads commands and messages with line editing
// and per-user history (libedit) while incoming messages appear above the
// prompt as they arrive. A sent line is shown once, as the server
// acknowledged it. When the connection ends or the server asks the client to
// come back (a restarted access node), it logs in again with jittered
// back-off, catches up on what it missed and goes on; a device taken over
// elsewhere ends it. Commands: repl_commands.cc.

#include "client-cli/cli_options.h"

namespace im::cli {

int RunRepl(const CliOptions& options);

}  // namespace im::cli
