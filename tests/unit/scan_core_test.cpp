// The scanner's pure parts: port order, round-trip estimation, rate limiting, targets.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "portkit/scan/scan_targets.hpp"
#include "scan/scan_order.hpp"
#include "scan/scan_timing.hpp"

namespace portkit {
namespace {

using std::chrono::milliseconds;

TEST(PortOrder, IsAPermutationForAwkwardSizes) {
  for (const std::uint32_t size : {1U, 2U, 3U, 17U, 1000U, 4097U, 65535U}) {
    const PortOrder order(size, 0xfeedULL + size, true);
    std::vector<bool> seen(size, false);
    for (std::uint32_t step = 0; step < size; ++step) {
      const auto index = order.at(step);
      ASSERT_LT(index, size);
      ASSERT_FALSE(seen[index]) << "size " << size << " repeats " << index;
      seen[index] = true;
    }
  }
}

TEST(PortOrder, ShuffledOrderDependsOnTheKeyAndIsNotAscending) {
  const PortOrder first(1000, 1, true);
  const PortOrder second(1000, 2, true);
  std::size_t same = 0;
  std::size_t ascending = 0;
  for (std::uint32_t step = 0; step < 1000; ++step) {
    same += first.at(step) == second.at(step) ? 1 : 0;
    ascending += first.at(step) == step ? 1 : 0;
  }
  EXPECT_LT(same, 50U);
  EXPECT_LT(ascending, 50U);
}

TEST(PortOrder, SequentialIsTheIdentity) {
  const PortOrder order(500, 42, false);
  for (std::uint32_t step = 0; step < 500; ++step) EXPECT_EQ(order.at(step), step);
}

TEST(RttEstimator, UsesTheInitialGuessUntilTheFirstSample) {
  RttEstimator estimator({Micros{500'000}, Micros{100'000}, Micros{1'000'000}});
  EXPECT_EQ(estimator.timeout(), Micros{500'000});
  EXPECT_FALSE(estimator.smoothed());
}

TEST(RttEstimator, FollowsRfc6298WithinTheBounds) {
  RttEstimator estimator({Micros{500'000}, Micros{10'000}, Micros{1'000'000}});
  estimator.add_sample(Micros{20'000});
  EXPECT_EQ(*estimator.smoothed(), Micros{20'000});
  EXPECT_EQ(estimator.variation(), Micros{10'000});
  EXPECT_EQ(estimator.timeout(), Micros{60'000});  // srtt + 4 * rttvar
  estimator.add_sample(Micros{28'000});
  EXPECT_EQ(*estimator.smoothed(), Micros{21'000});  // 7/8 * 20 + 1/8 * 28
  EXPECT_EQ(estimator.variation(), Micros{9'500});   // 3/4 * 10 + 1/4 * 8
}

TEST(RttEstimator, ClampsToFloorAndCeiling) {
  RttEstimator fast({Micros{500'000}, Micros{100'000}, Micros{1'000'000}});
  fast.add_sample(Micros{50});
  EXPECT_EQ(fast.timeout(), Micros{100'000});
  RttEstimator slow({Micros{500'000}, Micros{100'000}, Micros{1'000'000}});
  slow.add_sample(Micros{900'000});
  EXPECT_EQ(slow.timeout(), Micros{1'000'000});
}

TEST(TokenBucket, UnlimitedWhenRateIsZero) {
  const auto now = ScanClock::now();
  TokenBucket bucket(0, 1, now);
  EXPECT_TRUE(bucket.unlimited());
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(bucket.try_take(now));
}

TEST(TokenBucket, PacesToTheRate) {
  const auto start = ScanClock::now();
  TokenBucket bucket(1000, 10, start);  // 1000 per second, bursts of 10
  int taken = 0;
  while (bucket.try_take(start)) ++taken;
  EXPECT_EQ(taken, 10);
  EXPECT_GT(bucket.next_token(start), start);
  const auto later = start + milliseconds(100);
  taken = 0;
  while (bucket.try_take(later)) ++taken;
  EXPECT_EQ(taken, 10);  // refilled, but never past the burst
  EXPECT_LE(bucket.next_token(later), later + milliseconds(1) + Micros(10));
}

TEST(TargetList, ParsesWhitespaceCommasAndComments) {
  const auto targets =
      parse_target_list("# lab\n127.0.0.1 ::1,10.0.0.0/30\n\n  198.18.0.1-3 # x\n");
  ASSERT_TRUE(targets) << targets.error().message;
  ASSERT_EQ(targets->size(), 4U);
  EXPECT_EQ((*targets)[2].size(), 4U);
  EXPECT_EQ((*targets)[3].size(), 3U);
}

TEST(TargetList, NamesTheLineOfABadTarget) {
  const auto targets = parse_target_list("127.0.0.1\n\n10.0.0.0/99\n");
  ASSERT_FALSE(targets);
  EXPECT_NE(targets.error().message.find("line 3"), std::string::npos) << targets.error().message;
}

TEST(HostSource, WalksBlocksMinusExcludes) {
  auto block = parse_target("127.0.0.0/29");
  auto excluded = parse_target("127.0.0.2-4");
  ASSERT_TRUE(block && excluded);
  auto source = HostSource::create({*block}, {*excluded}, FamilyFilter::any);
  ASSERT_TRUE(source) << source.error().message;
  std::vector<std::string> seen;
  while (auto host = source->next()) seen.push_back(host->address.to_string());
  EXPECT_EQ(seen, (std::vector<std::string>{"127.0.0.0", "127.0.0.1", "127.0.0.5", "127.0.0.6",
                                            "127.0.0.7"}));
  EXPECT_EQ(source->total(), 8U);
}

TEST(HostSource, RefusesMoreHostsThanTheLimit) {
  auto huge = parse_target("10.0.0.0/7");
  ASSERT_TRUE(huge);
  const auto source = HostSource::create({*huge}, {}, FamilyFilter::any);
  ASSERT_FALSE(source);
  EXPECT_NE(source.error().message.find("too many hosts"), std::string::npos);
}

}  // namespace
}  // namespace portkit
