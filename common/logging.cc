#include "common/logging.h"

#include <google/protobuf/stubs/logging.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace im::common {

void InitLogging(std::string_view level) {
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") parsed = spdlog::level::info;
  spdlog::set_level(parsed);
  google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char* file, int line,
                                     const std::string& message) {
    GetLogger("protobuf")->debug("event=protobuf_log at={}:{} message=\"{}\"", file, line,
                                 message);
  });
}

std::shared_ptr<spdlog::logger> GetLogger(const std::string& module) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  if (auto existing = spdlog::get(module)) return existing;
  return spdlog::stderr_logger_mt(module);
}

}  // namespace im::common
