#pragma once
// What the benchmark programs share: percentiles of a sample, and a client
// logged in as a benchmark user (registered first if needed). Errors end the
// program with exit code 3: a benchmark has nothing sensible to go on with.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "client-cli/im_client.h"

namespace im::bench {

inline constexpr char kBenchPassword[] = "bench-password";

// The p-th percentile (0..1) of `v` (sorted in place); 0 for no samples.
inline double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()))];
}

// Connects to `server`, registers `user` (ignoring "already taken"), logs in
// on device "bench" and keeps the connection alive with heartbeats.
inline std::unique_ptr<cli::ImClient> LoggedIn(const std::string& server, const std::string& user) {
  auto c = cli::ImClient::Connect(server);
  if (!c.ok()) {
    std::fprintf(stderr, "connect: %s\n", std::string(c.status().message()).c_str());
    std::exit(3);
  }
  (*c)->Register(user, kBenchPassword).IgnoreError();
  auto login = (*c)->Login(user, kBenchPassword, "bench");
  if (!login.ok()) {
    std::fprintf(stderr, "login %s: %s\n", user.c_str(),
                 std::string(login.status().message()).c_str());
    std::exit(3);
  }
  (*c)->StartHeartbeat(std::chrono::seconds(20));  // logging many users in takes a while
  return std::move(*c);
}

}  // namespace im::bench
