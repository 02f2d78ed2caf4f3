#include "common/logging.h"

#include <google/protobuf/stubs/logging.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <mutex>
#include <unordered_map>

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
  // Each thread remembers the loggers it has looked up, so a log line takes
  // no process-wide lock (spdlog's registry has one); only a thread's first
  // lookup of a module goes to the registry.
  thread_local std::unordered_map<std::string, std::shared_ptr<spdlog::logger>> known;
  if (auto it = known.find(module); it != known.end()) return it->second;
  static std::mutex creating;  // two threads must not both create one
  std::shared_ptr<spdlog::logger> logger;
  {
    std::lock_guard lock(creating);
    logger = spdlog::get(module);
    if (logger == nullptr) logger = spdlog::stderr_logger_mt(module);
  }
  known.emplace(module, logger);
  return logger;
}

}  // namespace im::common
