#pragma once
// Helpers for tests that run real servers: free loopback ports, temporary
// directories, and waiting for a TCP port to accept.

#include <chrono>
#include <string>

namespace im::testing {

// A TCP port on 127.0.0.1 that was free a moment ago (bound, then released),
// and never one this process was given before. Thread-safe.
int PickFreePort();

// A new directory under $TMPDIR (or /tmp), removed by RemoveTree.
std::string MakeTempDir(const std::string& prefix);
void RemoveTree(const std::string& path);

// True once 127.0.0.1:port accepts a TCP connection, false after `timeout`.
bool WaitForPort(int port, std::chrono::milliseconds timeout);

// One TCP connect to 127.0.0.1:port: true if it completes within `timeout`
// (false if refused, or if no answer came by then, as behind a dropped link).
bool ConnectsWithin(int port, std::chrono::milliseconds timeout);

}  // namespace im::testing
