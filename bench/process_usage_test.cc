#include "bench/process_usage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "common/str_cat.h"

namespace im::bench {
namespace {

TEST(ProcessUsageTest, ParsesProcStatWithSpacesInTheName) {
  const std::string stat =
      "1234 (im access) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 70 0 0 20 0 9 0 100 "
      "123456789 4096 18446744073709551615";
  std::uint64_t utime = 0, stime = 0;
  std::int64_t rss = 0;
  ASSERT_TRUE(ParseProcStat(stat, &utime, &stime, &rss));
  EXPECT_EQ(utime, 250u);
  EXPECT_EQ(stime, 70u);
  EXPECT_EQ(rss, 4096);
  EXPECT_FALSE(ParseProcStat("1234 (short) S 1 2", &utime, &stime, &rss));
  EXPECT_FALSE(ParseProcStat("", &utime, &stime, &rss));
}

TEST(ProcessUsageTest, ParsesRssAnonFromProcStatus) {
  const std::string status =
      "Name:\tim-access\nVmRSS:\t   21572 kB\nRssAnon:\t    5992 kB\nRssFile:\t   15560 kB\n";
  EXPECT_EQ(ParseRssAnon(status), 5992 * 1024);
  EXPECT_EQ(ParseRssAnon("Name:\tx\nVmRSS:\t 1 kB\n"), -1);
}

TEST(ProcessUsageTest, WatchesGivenPidsAndMeasuresTheirCpu) {
  auto usage = ProcessUsage::Watch(common::StrCat("self=", getpid()));
  ASSERT_TRUE(usage.ok()) << usage.status();
  const UsageSnapshot start = usage->Take();
  volatile std::uint64_t x = 0;
  for (std::uint64_t i = 0; i < 300'000'000; ++i) x = x + i;  // burn some CPU
  const UsageSnapshot end = usage->Take();
  const WindowUsage w = usage->Between(start, end);
  ASSERT_EQ(w.cluster.size(), 1u);
  EXPECT_EQ(w.cluster[0].name, "self");
  EXPECT_GT(w.cluster[0].cpu_seconds, 0.0);
  EXPECT_GT(w.cluster[0].rss_end, 0);
  EXPECT_GT(w.cluster[0].anon_end, 0);
  EXPECT_LE(w.cluster[0].anon_end, w.cluster[0].rss_end);
  EXPECT_FALSE(w.core_busy_share.empty());
}

TEST(ProcessUsageTest, RejectsAMalformedPidList) {
  EXPECT_EQ(ProcessUsage::Watch("im-access").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ProcessUsage::Watch("=12").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ProcessUsage::Watch("a=x").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace im::bench
