#pragma once
// Interactive im-cli: logs in (offering to register an unknown name), then
// reads commands and messages with line editing and history (libedit) while
// incoming messages appear above the prompt as they arrive.

#include "client-cli/cli_options.h"

namespace im::cli {

int RunRepl(const CliOptions& options);

}  // namespace im::cli
