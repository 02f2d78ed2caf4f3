#pragma once
// A daemon's Prometheus metrics: counters and histograms updated lock-free on
// hot paths, and values sampled by a function at scrape time (gauges, or
// counters a class already keeps). Render() writes the text exposition format
// (version 0.0.4) that common/metrics_server.h serves on GET /metrics.
//
// Registration (Counter, Histogram, Sample) takes a lock and returns a
// reference that stays valid as long as the Metrics object: look it up once
// and keep it, or look it up per event where labels vary (a map lookup under
// a mutex, ~100 ns). Thread-safe. The owner keeps it alive longer than every
// object that updates it and than the MetricsServer.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace im::common {

// Label pairs, e.g. {{"type", "send_message"}, {"code", "OK"}}.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class MetricCounter {
 public:
  void Add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// Cumulative buckets with fixed upper bounds (seconds, bytes...).
class MetricHistogram {
 public:
  explicit MetricHistogram(std::vector<double> bounds);
  void Observe(double value);
  // Appends the _bucket, _sum and _count lines for `name` with `labels`.
  void Render(const std::string& name, const std::string& labels, std::string* out) const;

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bound, then +Inf
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

class Metrics {
 public:
  // `name` as Prometheus spells it (counters end in _total).
  MetricCounter& Counter(const std::string& name, const std::string& help,
                         const MetricLabels& labels = {});
  MetricHistogram& Histogram(const std::string& name, const std::string& help,
                             const std::vector<double>& bounds, const MetricLabels& labels = {});
  // A value read by `sample` at each scrape; `type` is "gauge" or "counter".
  void Sample(const std::string& name, const std::string& help, const std::string& type,
              std::function<double()> sample, const MetricLabels& labels = {});

  std::string Render() const;

  // Latency buckets for request times, in seconds (100 us .. 10 s).
  static std::vector<double> LatencyBuckets();

 private:
  struct Family {
    std::string help;
    std::string type;
    std::map<std::string, std::unique_ptr<MetricCounter>> counters;      // by rendered labels
    std::map<std::string, std::unique_ptr<MetricHistogram>> histograms;  // by rendered labels
    std::map<std::string, std::function<double()>> samples;              // by rendered labels
  };
  Family& FamilyLocked(const std::string& name, const std::string& help, const std::string& type);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

}  // namespace im::common
