#pragma once
// Command-line parsing for im-cli. Global flags (before or after the command)
// fall back to $IM_SERVER, $IM_USER, $IM_PASSWORD, $IM_DEVICE, $IM_TLS, $IM_CA,
// then defaults.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client-cli/client_transport.h"

namespace im::cli {

inline constexpr char kDefaultServer[] = "127.0.0.1:7000";

struct CliOptions {
  std::string server = kDefaultServer;
  TlsOptions tls;  // --tls (the system's CAs) or --ca FILE; $IM_TLS=1, $IM_CA
  std::string user;
  std::optional<std::string> password;
  std::optional<std::string> new_password;  // passwd --new-password
  // --device / $IM_DEVICE; by default the chat window is "cli", `listen` is
  // "cli-listen" and every other command "cli-cmd", so a one-shot command
  // never takes the device (and ends the session) of a running chat or listen.
  std::string device;
  bool device_given = false;  // by --device or $IM_DEVICE
  bool json = false;
  bool help = false;
  std::string command;              // empty: interactive
  std::vector<std::string> args;    // positional arguments after the command
  std::optional<long> count;        // listen --count
  bool include_missed = false;      // listen --include-missed
  std::optional<double> timeout_s;  // listen --timeout
  std::string client_id;            // send --client-id
  std::string note;                 // friend request --note
  std::string kind;                 // send --kind
  std::string payload;              // send --payload
  std::uint64_t before = 0;         // history --before
  std::uint32_t limit = 0;          // history --limit
  std::uint64_t seq = 0;            // read --seq
  std::uint32_t minutes = 0;        // group mute --minutes (0: until unmuted)
  std::uint64_t after = 0;          // group members --after USER_ID
};

// INVALID_ARGUMENT with a message for the user on a bad command line.
absl::StatusOr<CliOptions> ParseCliOptions(int argc, const char* const* argv,
                                           const char* const* env);

const char* UsageText();

// The device `command` uses unless --device says otherwise (empty command: the chat window).
std::string DefaultDevice(const std::string& command);

}  // namespace im::cli
