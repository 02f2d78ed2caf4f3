#include "common/config_schema.h"

#include <toml++/toml.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <functional>
#include <iostream>

#include "common/str_cat.h"

namespace im::common {
namespace {

std::string Describe(const std::string* v) { return "\"" + *v + "\""; }
std::string Describe(const std::int64_t* v) { return std::to_string(*v); }
std::string Describe(const bool* v) { return *v ? "true" : "false"; }

}  // namespace

ConfigSchema::ConfigSchema(std::string program, std::string env_prefix)
    : program_(std::move(program)), env_prefix_(std::move(env_prefix)) {}

void ConfigSchema::Add(std::string key, std::string* target, std::string help) {
  entries_.push_back({std::move(key), std::move(help), target, 0, 0, Describe(target)});
}

void ConfigSchema::Add(std::string key, std::int64_t* target, std::string help, std::int64_t min,
                       std::int64_t max) {
  entries_.push_back({std::move(key), std::move(help), target, min, max, Describe(target)});
}

void ConfigSchema::Add(std::string key, bool* target, std::string help) {
  entries_.push_back({std::move(key), std::move(help), target, 0, 0, Describe(target)});
}

ConfigSchema::Entry* ConfigSchema::Find(std::string_view key) {
  for (auto& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

std::string ConfigSchema::EnvName(std::string_view key) const {
  std::string name = env_prefix_ + "_";
  for (char c : key) name += (c == '.' || c == '-') ? '_' : static_cast<char>(std::toupper(c));
  return name;
}

absl::Status ConfigSchema::SetFromText(Entry& entry, std::string_view text,
                                       std::string_view source) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        common::StrCat(source, ": ", entry.key, " = \"", text, "\": ", why));
  };
  if (auto* s = std::get_if<std::string*>(&entry.target)) {
    **s = std::string(text);
    return absl::OkStatus();
  }
  if (auto* b = std::get_if<bool*>(&entry.target)) {
    if (text == "true" || text == "1" || text == "yes") {
      **b = true;
    } else if (text == "false" || text == "0" || text == "no") {
      **b = false;
    } else {
      return bad("expected true or false");
    }
    return absl::OkStatus();
  }
  auto* i = std::get<std::int64_t*>(entry.target);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return bad("expected an integer");
  if (value < entry.min || value > entry.max) {
    return bad(common::StrCat("must be between ", entry.min, " and ", entry.max));
  }
  *i = value;
  return absl::OkStatus();
}

absl::Status ConfigSchema::LoadFile(const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(
        common::StrCat(path, ":", e.source().begin.line, ": ", e.description()));
  }
  absl::Status status;
  // Visit every leaf; each must be a known key of the right type.
  std::function<void(const toml::table&, const std::string&)> walk =
      [&](const toml::table& t, const std::string& prefix) {
        for (const auto& [k, node] : t) {
          if (!status.ok()) return;
          const std::string key =
              prefix.empty() ? std::string(k.str()) : common::StrCat(prefix, ".", k.str());
          if (const auto* sub = node.as_table()) {
            walk(*sub, key);
            continue;
          }
          Entry* entry = Find(key);
          const std::string where = common::StrCat(path, ":", node.source().begin.line);
          if (entry == nullptr) {
            status = absl::InvalidArgumentError(common::StrCat(where, ": unknown setting ", key));
            return;
          }
          const bool wants_string = std::holds_alternative<std::string*>(entry->target);
          const bool wants_int = std::holds_alternative<std::int64_t*>(entry->target);
          if (node.is_string() && wants_string) {
            status = SetFromText(*entry, *node.value<std::string>(), where);
          } else if (node.is_integer() && wants_int) {
            status = SetFromText(*entry, std::to_string(*node.value<std::int64_t>()), where);
          } else if (node.is_boolean() && !wants_string && !wants_int) {
            status = SetFromText(*entry, *node.value<bool>() ? "true" : "false", where);
          } else {
            const char* expected = wants_string ? "a string"
                                   : wants_int  ? "an integer"
                                                : "true or false";
            status =
                absl::InvalidArgumentError(common::StrCat(where, ": ", key, " must be ", expected));
          }
        }
      };
  walk(table, "");
  return status;
}

absl::Status ConfigSchema::Load(int argc, const char* const* argv, const char* const* env) {
  // Flags are parsed first (to find --config) but applied last.
  std::vector<std::pair<std::string, std::string>> flags;
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help_requested_ = true;
      return absl::OkStatus();
    }
    if (!arg.starts_with("--")) {
      return absl::InvalidArgumentError(common::StrCat("unexpected argument \"", arg, "\""));
    }
    arg.remove_prefix(2);
    std::string key, value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      key = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      key = arg;
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(common::StrCat("flag --", arg, " needs a value"));
    }
    if (key == "config") {
      config_path = value;
    } else {
      flags.emplace_back(std::move(key), std::move(value));
    }
  }
  std::vector<std::pair<std::string, std::string>> env_values;
  for (const char* const* e = env; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv = *e;
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env_values.emplace_back(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  if (config_path.empty()) {
    for (const auto& [name, value] : env_values) {
      if (name == env_prefix_ + "_CONFIG") config_path = value;
    }
  }
  if (!config_path.empty()) {
    if (auto s = LoadFile(config_path); !s.ok()) return s;
  }
  for (auto& entry : entries_) {
    const std::string name = EnvName(entry.key);
    for (const auto& [n, value] : env_values) {
      if (n != name) continue;
      if (auto s = SetFromText(entry, value, common::StrCat("environment ", name)); !s.ok()) {
        return s;
      }
    }
  }
  for (const auto& [key, value] : flags) {
    Entry* entry = Find(key);
    if (entry == nullptr) {
      return absl::InvalidArgumentError(common::StrCat("unknown flag --", key, " (see --help)"));
    }
    if (auto s = SetFromText(*entry, value, common::StrCat("flag --", key)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void ConfigSchema::LoadOrExit(int argc, const char* const* argv, const char* const* env) {
  absl::Status status = Load(argc, argv, env);
  if (help_requested_) {
    std::cout << HelpText();
    std::exit(0);
  }
  if (!status.ok()) {
    std::cerr << program_ << ": configuration error: " << status.message() << "\n";
    std::exit(2);
  }
}

std::string ConfigSchema::HelpText() const {
  std::string text = common::StrCat("Usage: ", program_, " [--config FILE] [--KEY=VALUE ...]\n\n",
                                    "Settings (file key, flag --KEY, environment variable):\n");
  for (const auto& e : entries_) {
    text += StrCat("  ", e.key, "  (", EnvName(e.key), ", default ", e.default_text, ")\n      ",
                   e.help, "\n");
  }
  text += StrCat(
      "\nThe file is TOML; sections group keys (key mysql.host is `host` under "
      "[mysql]).\n$",
      env_prefix_, "_CONFIG names the file when --config is not given.\n");
  return text;
}

}  // namespace im::common
