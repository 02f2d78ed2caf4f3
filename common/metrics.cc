#include "common/metrics.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "common/str_cat.h"

namespace im::common {
namespace {

// {a="x",b="y"} with quotes, backslashes and newlines escaped; "" if none.
std::string RenderLabels(const MetricLabels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    out += labels[i].first;
    out += "=\"";
    for (char c : labels[i].second) {
      if (c == '\\' || c == '"') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string Number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  for (int precision = 6; precision <= 17; ++precision) {  // the shortest that reads back
    std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

// `labels` ("{a="x"}" or "") with one more label appended.
std::string WithLabel(const std::string& labels, const std::string& name,
                      const std::string& value) {
  const std::string extra = StrCat(name, "=\"", value, "\"");
  if (labels.empty()) return StrCat("{", extra, "}");
  return StrCat(labels.substr(0, labels.size() - 1), ",", extra, "}");
}

}  // namespace

MetricHistogram::MetricHistogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void MetricHistogram::Observe(double value) {
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

void MetricHistogram::Render(const std::string& name, const std::string& labels,
                             std::string* out) const {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    const std::string le = i < bounds_.size() ? Number(bounds_[i]) : "+Inf";
    *out += StrCat(name, "_bucket", WithLabel(labels, "le", le), " ", cumulative, "\n");
  }
  *out += StrCat(name, "_sum", labels, " ", Number(sum_.load(std::memory_order_relaxed)), "\n");
  *out += StrCat(name, "_count", labels, " ", count_.load(std::memory_order_relaxed), "\n");
}

Metrics::Family& Metrics::FamilyLocked(const std::string& name, const std::string& help,
                                       const std::string& type) {
  Family& family = families_[name];
  if (family.type.empty()) {
    family.help = help;
    family.type = type;
  }
  return family;
}

MetricCounter& Metrics::Counter(const std::string& name, const std::string& help,
                                const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyLocked(name, help, "counter").counters[RenderLabels(labels)];
  if (slot == nullptr) slot = std::make_unique<MetricCounter>();
  return *slot;
}

MetricHistogram& Metrics::Histogram(const std::string& name, const std::string& help,
                                    const std::vector<double>& bounds, const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyLocked(name, help, "histogram").histograms[RenderLabels(labels)];
  if (slot == nullptr) slot = std::make_unique<MetricHistogram>(bounds);
  return *slot;
}

void Metrics::Sample(const std::string& name, const std::string& help, const std::string& type,
                     std::function<double()> sample, const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  FamilyLocked(name, help, type).samples[RenderLabels(labels)] = std::move(sample);
}

std::string Metrics::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    out += StrCat("# HELP ", name, " ", family.help, "\n# TYPE ", name, " ", family.type, "\n");
    for (const auto& [labels, counter] : family.counters) {
      out += StrCat(name, labels, " ", counter->value(), "\n");
    }
    for (const auto& [labels, histogram] : family.histograms) {
      histogram->Render(name, labels, &out);
    }
    for (const auto& [labels, sample] : family.samples) {
      out += StrCat(name, labels, " ", Number(sample()), "\n");
    }
  }
  return out;
}

std::vector<double> Metrics::LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

}  // namespace im::common
