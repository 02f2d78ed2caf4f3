#pragma once
// ConfigSchema describes one daemon's settings and loads them. Each setting is
// bound to a field of the daemon's config struct; the field's initial value is
// the documented default. Sources, lowest precedence first:
//   1. the default,
//   2. a TOML file (--config PATH or $<PREFIX>_CONFIG), keys as `section.name`,
//   3. environment variables: <PREFIX>_<KEY>, key upper-cased, '.' -> '_'
//      (e.g. IM_STORAGE_MYSQL_HOST for mysql.host),
//   4. flags: --key=value or --key value.
// Unknown keys in the file or flags, values of the wrong type and integers out
// of range are errors that name the source. Not thread-safe; use from main().

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"

namespace im::common {

class ConfigSchema {
 public:
  ConfigSchema(std::string program, std::string env_prefix);

  void Add(std::string key, std::string* target, std::string help);
  void Add(std::string key, std::int64_t* target, std::string help, std::int64_t min,
           std::int64_t max);
  void Add(std::string key, bool* target, std::string help);

  // Loads all sources into the bound fields. `env` is a NULL-terminated
  // environment array (pass `environ`). Sets help_requested() on --help.
  absl::Status Load(int argc, const char* const* argv, const char* const* env);

  // Load(), and on --help prints HelpText() and exits 0; on error prints it and
  // exits 2. For daemon main() functions.
  void LoadOrExit(int argc, const char* const* argv, const char* const* env);

  bool help_requested() const { return help_requested_; }
  std::string HelpText() const;

 private:
  using Target = std::variant<std::string*, std::int64_t*, bool*>;
  struct Entry {
    std::string key;
    std::string help;
    Target target;
    std::int64_t min = 0;
    std::int64_t max = 0;
    std::string default_text;
  };

  Entry* Find(std::string_view key);
  std::string EnvName(std::string_view key) const;
  absl::Status SetFromText(Entry& entry, std::string_view text, std::string_view source);
  absl::Status LoadFile(const std::string& path);

  std::string program_;
  std::string env_prefix_;
  std::vector<Entry> entries_;
  bool help_requested_ = false;
};

}  // namespace im::common
