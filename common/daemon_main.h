#pragma once
// The start and end every daemon's main() shares. StartDaemon loads the
// daemon's Config (a struct with Describe(ConfigSchema&), Validate() and a
// log_level field) from --config/env/flags, prints --help or a configuration
// error and exits (0 / 2), then sets up logging and blocks SIGINT/SIGTERM so
// that threads started afterwards inherit the mask. It also turns off
// Abseil's mutex deadlock detection, which Debian's Abseil leaves on: it
// records a lock-order graph on every gRPC mutex acquisition (GraphCycles in
// the daemons' profiles), a debugging aid, not something to pay per message.

#include <unistd.h>

#include <iostream>
#include <string>

#include "absl/synchronization/mutex.h"
#include "common/config_schema.h"
#include "common/logging.h"
#include "common/shutdown_signal.h"

namespace im::common {

template <typename Config>
Config StartDaemon(const std::string& program, const std::string& env_prefix, int argc,
                   char** argv) {
  Config config;
  ConfigSchema schema(program, env_prefix);
  config.Describe(schema);
  schema.LoadOrExit(argc, argv, environ);
  if (absl::Status s = config.Validate(); !s.ok()) {
    std::cerr << program << ": configuration error: " << std::string(s.message()) << "\n";
    std::exit(2);
  }
  InitLogging(config.log_level);
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  BlockShutdownSignals();
  return config;
}

}  // namespace im::common
