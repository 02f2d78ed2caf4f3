#pragma once
// The group commands, shared by the one-shot CLI (`im-cli group ...`) and the
// REPL (`/group ...`). G is a group id ("12" or "g:12"):
//   create NAME [MEMBER...] | invite G USER... | kick G USER | leave G |
//   dissolve G | info G | members G [--after USER_ID] [--limit N] | list |
//   rename G NAME | announce G [TEXT] | role G USER admin|member |
//   transfer G USER | mute G USER [--minutes N] | unmute G USER |
//   mute-all G on|off
// Each runs one request on a logged-in client and prints the answer to `out`
// (one JSON object per line with `json`).

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client-cli/im_client.h"
#include "client-cli/printed_request.h"

namespace im::cli {

struct GroupCommandOptions {
  std::uint32_t minutes = 0;  // mute: 0 = until unmuted
  std::uint64_t after = 0;    // members: page after this user id
  std::uint32_t limit = 0;    // members: page size (0: the server's default)
};

using GroupCommand = PrintedRequest;

// INVALID_ARGUMENT "usage: ..." (or about a bad group id). Needs no server.
absl::StatusOr<GroupCommand> ParseGroupCommand(const std::vector<std::string>& args,
                                               const GroupCommandOptions& options);


const char* GroupUsage();

}  // namespace im::cli
