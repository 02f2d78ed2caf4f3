#pragma once
// The customer-service desk commands an agent uses, shared by the one-shot
// CLI (`im-cli desk ...`) and the REPL (`/desk ...`). DESK is the desk
// account ("support"), CUSTOMER a customer's username:
//   list DESK | reply DESK CUSTOMER TEXT... | transfer DESK CUSTOMER AGENT |
//   close DESK CUSTOMER | history DESK CUSTOMER [--limit N]
// Each runs one request on a logged-in client and prints the answer to `out`
// (one JSON object per line with `json`). Customers need no command: they
// message the desk account like anyone (`im-cli send support ...`).

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client-cli/im_client.h"
#include "client-cli/printed_request.h"

namespace im::cli {

using DeskCommand = PrintedRequest;

// INVALID_ARGUMENT "usage: ..." for a malformed command. Needs no server.
absl::StatusOr<DeskCommand> ParseDeskCommand(const std::vector<std::string>& args,
                                             std::uint32_t limit);

const char* DeskUsage();

// One line for a desk event pushed to an agent.
std::string FormatDeskEvent(const client::DeskEvent& event, bool json);

}  // namespace im::cli
