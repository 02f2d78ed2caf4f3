#include "bench/latency_histogram.h"

#include <gtest/gtest.h>

namespace im::bench {
namespace {

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int v = 1; v <= 50; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 50u);
  EXPECT_EQ(h.Percentile(0.5), 25);
  EXPECT_EQ(h.Percentile(1.0), 50);
  EXPECT_EQ(h.max(), 50);
  EXPECT_DOUBLE_EQ(h.mean(), 25.5);
}

TEST(LatencyHistogramTest, LargeValuesStayWithinTheBucketPrecision) {
  for (std::int64_t v :
       std::initializer_list<std::int64_t>{100, 1'000, 12'345, 999'999, 3'600'000'000}) {
    LatencyHistogram h;
    h.Record(v);
    h.Record(1);  // so that p100 is not simply the max
    const std::int64_t p = h.Percentile(1.0);
    EXPECT_GE(p, v);
    EXPECT_LE(p, v + v / 64) << v;
  }
}

TEST(LatencyHistogramTest, PercentilesOfASkewedSample) {
  LatencyHistogram h;
  for (int i = 0; i < 990; ++i) h.Record(1'000);
  for (int i = 0; i < 10; ++i) h.Record(50'000);
  EXPECT_NEAR(h.Percentile(0.5), 1'000, 16);
  EXPECT_NEAR(h.Percentile(0.99), 1'000, 16);
  EXPECT_NEAR(h.Percentile(0.999), 50'000, 800);
  EXPECT_EQ(h.Percentile(0.0), h.Percentile(0.000001));
}

TEST(LatencyHistogramTest, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.Percentile(0.99), 0);
  EXPECT_EQ(h.mean(), 0);
}

TEST(LatencyHistogramTest, MergeAddsBothSamples) {
  LatencyHistogram a, b;
  for (int i = 0; i < 100; ++i) a.Record(i * 10);
  for (int i = 0; i < 100; ++i) b.Record(10'000 + i);
  a.Merge(b);
  EXPECT_EQ(a.count(), 200u);
  EXPECT_GE(a.Percentile(0.75), 10'000);
}

}  // namespace
}  // namespace im::bench
