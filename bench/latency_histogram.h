#pragma once
// A latency histogram in the manner of HdrHistogram: values (microseconds)
// are counted in log-linear buckets with 64 sub-buckets per power of two, so
// every recorded value is reported within 1/64 (1.6%) of itself, from 1 us to
// weeks, in a fixed 2,304 counters whatever the sample size.
// Histograms from several threads add up with Merge().
// A plain value: not thread-safe; one per thread, merged at the end.

#include <array>
#include <cstdint>

namespace im::bench {

class LatencyHistogram {
 public:
  void Record(std::int64_t micros);
  void Merge(const LatencyHistogram& other);

  std::uint64_t count() const { return count_; }
  std::int64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0 : static_cast<double>(sum_) / count_; }
  // The smallest value v such that a fraction `p` (0..1) of the samples are
  // <= v, to the bucket's precision; 0 for an empty histogram.
  std::int64_t Percentile(double p) const;

 private:
  static constexpr int kSubBucketBits = 6;  // 64 sub-buckets per power of two
  static constexpr int kSubBuckets = 1 << kSubBucketBits;
  static constexpr int kBuckets = 36 * kSubBuckets;  // up to 2^41 us

  static int IndexOf(std::int64_t micros);
  // The highest value that lands in bucket `index`.
  static std::int64_t UpperBound(int index);

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::int64_t sum_ = 0;
  std::int64_t max_ = 0;
};

}  // namespace im::bench
