#include "client-cli/cli_options.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "common/str_cat.h"

namespace im::cli {
namespace {

std::optional<std::string> EnvValue(const char* const* env, std::string_view name) {
  for (const char* const* e = env; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv = *e;
    if (kv.size() > name.size() && kv.substr(0, name.size()) == name && kv[name.size()] == '=') {
      return std::string(kv.substr(name.size() + 1));
    }
  }
  return std::nullopt;
}

}  // namespace

std::string DefaultDevice(const std::string& command) {
  return command.empty() ? "cli" : command == "listen" ? "cli-listen" : "cli-cmd";
}

const char* UsageText() {
  return R"(Usage: im-cli [--server HOST:PORT[,HOST:PORT...]] [--tls | --ca FILE] [--user NAME] [--password PW] [--device ID] [--json] [COMMAND ...]

Commands (TO is a user, or g:ID for a group):
  register NAME                 create an account (password from --password, $IM_PASSWORD or a prompt)
  login                         keep sessions (chat window, listen, commands; or --device ID)
                                in ~/.config/im-cli/sessions: later commands need no password
  logout                        end those sessions on the server and forget them
  devices                       your logged-in devices (sessions), this one marked
  devices revoke DEVICE         end that device's sessions and close its connection
  passwd [--new-password PW]    change your password (asks for the old one and the new one
                                twice); every other device is logged out
  send TO TEXT...               send a message; prints its msg_id and seq once it is stored
                                (put -- before text that starts with --)
        [--client-id ID]        resend with the same id returns the original message
  send TO --kind image|file|custom --payload JSON
                                a typed message (files and images by reference)
  conv list                     conversations: peer or group, last message, unread count
  history TO [--before SEQ] [--limit N]
                                earlier messages, oldest first
  read TO [--seq N]             mark read (everything, or up to N); a 1:1 peer gets a receipt
  recall MSG_ID                 take back a message you sent (within the server's window)
  listen [--count N] [--timeout SECONDS] [--include-missed]
                                print what was missed, then messages, receipts, recalls,
                                typing and friend events as they arrive, one per line;
                                --count N: stop after N messages that arrived after it
                                started (missed ones count too with --include-missed)
  friend request PEER [--note TEXT] | accept PEER | decline PEER | cancel PEER | remove PEER
  friend list                   friends, with online/offline
  friend pending                incoming and outgoing requests
  block add PEER | remove PEER | list
  privacy set messages everyone|friends
                                who may send you messages
  group create NAME [MEMBER...] prints the new group's id; you are its owner
  group invite G USER... | kick G USER | leave G | dissolve G
  group info G | members G [--after USER_ID] [--limit N] | list
  group rename G NAME | announce G TEXT
  group role G USER admin|member | transfer G USER
  group mute G USER [--minutes N] | unmute G USER | mute-all G on|off
  desk list DESK                for a desk's agents: your conversations and the queue
  desk reply DESK CUSTOMER TEXT...   answer as the desk; the customer sees DESK and your name
  desk history DESK CUSTOMER [--limit N] | transfer DESK CUSTOMER AGENT | close DESK CUSTOMER
  (none)                        interactive mode; type /help there

Devices: a user may be logged in on several devices at once; each gets every
message. A second login on the same device ends the first. Unless --device is
given, the chat window is device "cli", `listen` is "cli-listen" and other
commands are "cli-cmd", so a command run beside a chat window never ends it.

--tls speaks TLS to the server and checks its certificate against the system's CAs;
--ca FILE (PEM) checks it against FILE instead (a development CA, say).
--server ws://HOST:PORT/PATH (wss:// with TLS) speaks WebSocket, as a browser does,
to a server's WebSocket port.
--server http://HOST:PORT/PATH (https:// with TLS) speaks HTTP long-poll, for networks
that let only HTTP through, to a server's long-poll port (e.g. https://127.0.0.1:7500/poll).
Environment: IM_SERVER, IM_USER, IM_PASSWORD, IM_DEVICE, IM_CA work as the flags do; IM_TLS=1 as --tls.
Exit status: 0 done, 1 refused by the server, 2 bad command line, 3 server unreachable, unavailable or timed out.
)";
}

absl::StatusOr<CliOptions> ParseCliOptions(int argc, const char* const* argv,
                                           const char* const* env) {
  CliOptions o;
  if (auto v = EnvValue(env, "IM_SERVER")) o.server = *v;
  if (auto v = EnvValue(env, "IM_USER")) o.user = *v;
  if (auto v = EnvValue(env, "IM_PASSWORD")) o.password = *v;
  if (auto v = EnvValue(env, "IM_DEVICE")) o.device = *v;
  if (auto v = EnvValue(env, "IM_TLS")) o.tls.enabled = *v == "1" || *v == "yes" || *v == "true";
  if (auto v = EnvValue(env, "IM_CA"); v && !v->empty()) {
    o.tls.enabled = true;
    o.tls.ca_file = *v;
  }

  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) o.args.emplace_back(argv[i]);
      break;
    }
    if (arg == "-h" || arg == "--help") {
      o.help = true;
      continue;
    }
    if (arg == "--json") {
      o.json = true;
      continue;
    }
    if (arg == "--tls") {
      o.tls.enabled = true;
      continue;
    }
    if (arg == "--include-missed") {
      o.include_missed = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {  // positional: the command, then its arguments
      if (o.command.empty()) {
        o.command = arg;
      } else {
        o.args.push_back(arg);
      }
      continue;
    }
    std::string name = arg.substr(2), value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(common::StrCat("option --", name, " needs a value"));
    }
    char* end = nullptr;
    if (name == "server") {
      o.server = value;
    } else if (name == "ca") {
      o.tls.enabled = true;
      o.tls.ca_file = value;
    } else if (name == "user") {
      o.user = value;
    } else if (name == "password") {
      o.password = value;
    } else if (name == "new-password") {
      o.new_password = value;
    } else if (name == "device") {
      o.device = value;
    } else if (name == "client-id") {
      o.client_id = value;
    } else if (name == "note") {
      o.note = value;
    } else if (name == "kind") {
      o.kind = value;
    } else if (name == "payload") {
      o.payload = value;
    } else if (name == "before" || name == "limit" || name == "seq" || name == "minutes" ||
               name == "after") {
      const unsigned long long number = std::strtoull(value.c_str(), &end, 10);
      if (*end != '\0' || value.empty() || value[0] == '-') {
        return absl::InvalidArgumentError(common::StrCat("--", name, " needs a number"));
      }
      if (name == "before") o.before = number;
      if (name == "limit") o.limit = static_cast<std::uint32_t>(std::min(number, 100000ULL));
      if (name == "seq") o.seq = number;
      if (name == "after") o.after = number;
      if (name == "minutes") {
        o.minutes = static_cast<std::uint32_t>(std::min(number, 1ULL << 31));
      }
    } else if (name == "count") {
      o.count = std::strtol(value.c_str(), &end, 10);
      if (*end != '\0' || *o.count <= 0) {
        return absl::InvalidArgumentError("--count needs a positive number");
      }
    } else if (name == "timeout") {
      o.timeout_s = std::strtod(value.c_str(), &end);
      if (*end != '\0' || *o.timeout_s <= 0) {
        return absl::InvalidArgumentError("--timeout needs a positive number of seconds");
      }
    } else {
      return absl::InvalidArgumentError(common::StrCat("unknown option --", name));
    }
  }
  o.device_given = !o.device.empty();
  if (o.device.empty()) o.device = DefaultDevice(o.command);
  return o;
}

}  // namespace im::cli
