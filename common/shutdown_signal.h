#pragma once
// Graceful shutdown for daemons: BlockShutdownSignals() must run in main()
// before any thread starts (threads inherit the mask), then main() parks in
// WaitForShutdownSignal() until SIGINT or SIGTERM arrives. SIGHUP is blocked
// too: it calls `on_reload` (on main's thread) where a daemon reloads
// something, and is ignored where it does not.

#include <functional>

namespace im::common {

void BlockShutdownSignals();

// Returns the signal number received (SIGINT or SIGTERM).
int WaitForShutdownSignal(const std::function<void()>& on_reload = nullptr);

}  // namespace im::common
