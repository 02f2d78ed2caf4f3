#pragma once
// Logging setup shared by the daemons: one named spdlog logger per module, all
// writing `time level [module] key=value ...` lines to stderr.

#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace im::common {

// Sets the level ("debug", "info", "warn", "error") for every logger. Call once
// from main() before threads start; an unknown level is treated as "info".
// Also sends libprotobuf's own messages to the `protobuf` logger at debug
// level: it writes one for every string field with invalid UTF-8 it parses,
// so any client could otherwise fill a daemon's log with them.
void InitLogging(std::string_view level);

// Returns the logger for `module`, creating it on first use. Thread-safe;
// after a thread's first call for a module, lock-free.
std::shared_ptr<spdlog::logger> GetLogger(const std::string& module);

}  // namespace im::common

// Lets log lines format absl::string_view (status messages) and absl::Status.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<std::string_view> {
  template <typename Context>
  auto format(absl::string_view v, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(std::string_view(v.data(), v.size()), ctx);
  }
};
template <>
struct fmt::formatter<absl::Status> : fmt::formatter<std::string_view> {
  template <typename Context>
  auto format(const absl::Status& s, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(s.ToString(), ctx);
  }
};
