#pragma once
// Graceful shutdown for daemons: BlockShutdownSignals() must run in main()
// before any thread starts (threads inherit the mask), then main() parks in
// WaitForShutdownSignal() until SIGINT or SIGTERM arrives.

namespace im::common {

void BlockShutdownSignals();

// Returns the signal number received.
int WaitForShutdownSignal();

}  // namespace im::common
