#include "bench/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace im::bench {

// Values below kSubBuckets are exact (index == value). Above, a value with its
// top bit at position b (b >= kSubBucketBits) keeps its top kSubBucketBits+1
// bits: bucket (b - kSubBucketBits + 1) * kSubBuckets + the next 6 bits.
int LatencyHistogram::IndexOf(std::int64_t micros) {
  if (micros < kSubBuckets) return static_cast<int>(std::max<std::int64_t>(micros, 0));
  const auto v = static_cast<std::uint64_t>(micros);
  const int top = 63 - std::countl_zero(v);
  const int shift = top - kSubBucketBits;
  const int sub = static_cast<int>((v >> shift) & (kSubBuckets - 1));
  return std::min((shift + 1) * kSubBuckets + sub, kBuckets - 1);
}

std::int64_t LatencyHistogram::UpperBound(int index) {
  if (index < kSubBuckets) return index;
  const int shift = index / kSubBuckets - 1;
  const std::int64_t sub = index % kSubBuckets;
  return ((kSubBuckets + sub + 1) << shift) - 1;
}

void LatencyHistogram::Record(std::int64_t micros) {
  micros = std::max<std::int64_t>(micros, 0);
  ++counts_[IndexOf(micros)];
  ++count_;
  sum_ += micros;
  max_ = std::max(max_, micros);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

std::int64_t LatencyHistogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(std::ceil(std::clamp(p, 0.0, 1.0) * count_));
  std::uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= std::max<std::uint64_t>(rank, 1)) return std::min(UpperBound(i), max_);
  }
  return max_;
}

}  // namespace im::bench
