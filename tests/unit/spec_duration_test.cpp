#include <gtest/gtest.h>

#include "portkit/spec/spec.hpp"

namespace portkit {
namespace {

using std::chrono::nanoseconds;
using namespace std::chrono_literals;

struct GoodDuration {
  const char* text;
  nanoseconds value;
};

class GoodDurations : public testing::TestWithParam<GoodDuration> {};

TEST_P(GoodDurations, Parse) {
  const auto duration = parse_duration(GetParam().text);
  ASSERT_TRUE(duration.ok()) << GetParam().text << ": " << duration.error().message;
  EXPECT_EQ(*duration, GetParam().value) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Spec, GoodDurations,
    testing::Values(GoodDuration{"250ms", 250ms}, GoodDuration{"2s", 2s}, GoodDuration{"1m", 1min},
                    GoodDuration{"1h", 1h}, GoodDuration{"100us", 100us},
                    GoodDuration{"1.5s", 1500ms}, GoodDuration{".5s", 500ms},
                    GoodDuration{"5.s", 5s}, GoodDuration{"1m30s", 90s},
                    GoodDuration{"1h1m1s1ms", 3661001ms}, GoodDuration{"30", 30s},
                    GoodDuration{"0", 0s}, GoodDuration{"0ms", 0ms}, GoodDuration{"+2s", 2s},
                    GoodDuration{"0.001ms", 1us}, GoodDuration{"1.0000000001s", 1s},
                    GoodDuration{"2.5m", 150s}));

struct BadInput {
  const char* text;
  const char* message;
};

class BadDurations : public testing::TestWithParam<BadInput> {};

TEST_P(BadDurations, NamesTheBadPart) {
  const auto duration = parse_duration(GetParam().text);
  ASSERT_FALSE(duration.ok()) << GetParam().text;
  EXPECT_EQ(duration.error().message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Spec, BadDurations,
    testing::Values(BadInput{"", "empty duration"},
                    BadInput{"5xs", "unknown unit 'xs' in duration '5xs' (use us, ms, s, m or h)"},
                    BadInput{"-1", "duration '-1' is negative"},
                    BadInput{"-1s", "duration '-1s' is negative"},
                    BadInput{"ms", "duration 'ms' has no number before 'ms'"},
                    BadInput{"1..5s", "invalid number '1..5' in duration '1..5s'"},
                    BadInput{".s", "invalid number '.' in duration '.s'"},
                    BadInput{"1m30", "missing unit after '30' in duration '1m30'"},
                    BadInput{"5 s", "unknown unit ' s' in duration '5 s' (use us, ms, s, m or h)"},
                    BadInput{"1d", "unknown unit 'd' in duration '1d' (use us, ms, s, m or h)"},
                    BadInput{"99999999999h", "duration '99999999999h' is too long"},
                    BadInput{"99999999999999999999999",
                             "duration '99999999999999999999999' is too long"}));

}  // namespace
}  // namespace portkit
