#pragma once
// Serves a Metrics registry over HTTP for Prometheus: GET /metrics answers
// the text format; GET /healthz answers 200 "serving" or 503 "not serving:
// <reason>" from the health source given with ServeHealth (404 without one);
// anything else gets 404 (or 400 if it is not HTTP). One
// thread, one request per connection, requests read with a 2 s deadline and
// at most 8 KiB: a scraper is served at a time, and a stuck client delays
// the next scrape by at most 2 s. Start() fails (INVALID_ARGUMENT or
// UNAVAILABLE) if `listen` (IPv4 host:port) cannot be bound; an empty
// `listen` starts nothing (metrics off). Stop() (or the destructor) ends the
// thread within ~200 ms: call it before anything a Sample reads goes away.

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "common/metrics.h"

namespace im::common {

class MetricsServer {
 public:
  explicit MetricsServer(const Metrics* metrics) : metrics_(metrics) {}
  ~MetricsServer() { Stop(); }
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Before Start(): `health` answers OK while the daemon can serve.
  void ServeHealth(std::function<absl::Status()> health) { health_ = std::move(health); }
  absl::Status Start(const std::string& listen);
  void Stop();

 private:
  void Serve();
  void Answer(int client);

  const Metrics* metrics_;
  std::function<absl::Status()> health_;
  int listener_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace im::common
