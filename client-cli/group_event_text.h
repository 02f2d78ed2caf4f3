#pragma once
// How im-cli words groups: a role ("owner", "admin", "member", "none"), and
// a group event (client::GroupEvent, the typed record the
// server keeps of each change to a group) in English, one sentence each:
// "alice added bob, carol and 3 others", "alice muted bob for 5 minutes".
// The server stores no sentences; every client words events its own way.

#include <string>

#include "client.pb.h"

namespace im::cli {

std::string DescribeGroupEvent(const client::GroupEvent& event);

const char* GroupRoleName(client::GroupRole role);

}  // namespace im::cli
