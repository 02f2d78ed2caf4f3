#pragma once
// Shared fixtures for the integration tests: one TestCluster per test binary
// (started on first use, stopped at exit) and helpers to get logged-in clients.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client-cli/im_client.h"
#include "common/frame_codec.h"
#include "tests/support/test_cluster.h"

namespace im::testing {

inline constexpr char kPassword[] = "correct-horse";

TestCluster& SharedCluster();

// The shared cluster's logic restarted with `flags` for as long as this
// lives, then restarted with the shipped settings: even when the test fails
// half way, the next test gets the logic it expects.
class LogicFlagsForThisScope {
 public:
  explicit LogicFlagsForThisScope(const std::vector<std::string>& flags) {
    SharedCluster().StopLogic();
    SharedCluster().StartLogic(flags);
  }
  ~LogicFlagsForThisScope() {
    SharedCluster().StopLogic();
    SharedCluster().StartLogic();
  }
  LogicFlagsForThisScope(const LogicFlagsForThisScope&) = delete;
  LogicFlagsForThisScope& operator=(const LogicFlagsForThisScope&) = delete;
};

// A user name not used before in this test binary ("<prefix>_<n>").
std::string UniqueName(const std::string& prefix);

// Connects to access node `node`; fails the test if it cannot.
std::unique_ptr<cli::ImClient> Connect(int node = 0);

// Registers `name` (password kPassword) and returns a client logged in as it.
std::unique_ptr<cli::ImClient> RegisterAndLogin(const std::string& name, int node = 0,
                                                const std::string& device = "");

// A plain TCP socket connected to `host_port` (127.0.0.1 only), with
// SO_RCVBUF set first when `receive_buffer_bytes` > 0, and from
// `source_address` (say 127.0.0.2: another client address) if given; -1 on
// failure.
int ConnectRaw(const std::string& host_port, int receive_buffer_bytes = 0,
               const std::string& source_address = "");
// The next whole frame on `fd`, reading as needed; nullopt at EOF, on an
// error or after `within`.
std::optional<client::ServerFrame> ReadFrame(int fd, common::FrameDecoder& decoder,
                                             std::chrono::milliseconds within);
// A request frame filled in by `fill`.
client::ClientFrame Frame(const std::function<void(client::ClientFrame&)>& fill);

// Everything Sync returns for this connection's device, acking page by page.
std::vector<client::ChatMessage> SyncAll(cli::ImClient& client);

// The next server-initiated frame on `client` that `want` accepts (others are
// skipped), or DEADLINE_EXCEEDED after `within`.
absl::StatusOr<client::ServerFrame> NextEventMatching(
    cli::ImClient& client, const std::function<bool(const client::ServerFrame&)>& want,
    std::chrono::milliseconds within = std::chrono::seconds(5));

}  // namespace im::testing
