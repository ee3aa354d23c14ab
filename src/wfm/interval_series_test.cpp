#include "wfm/interval_series.hpp"

#include <gtest/gtest.h>

namespace hotline::wfm {
namespace {

using namespace std::chrono_literals;

std::chrono::local_seconds at(int y, unsigned mo, unsigned d, int h, int mi) {
  return std::chrono::local_days{std::chrono::year{y} / mo / d} + std::chrono::hours(h) +
         std::chrono::minutes(mi);
}

TEST(IntervalCsv, ParsesConsecutiveRows) {
  const auto r = parse_interval_csv(
      "interval_start,weekday,calls\n"
      "2025-01-06T00:00,Mon,11\n"
      "2025-01-06T00:30,Mon,14\r\n"
      "2025-01-06T01:00,Mon,0\n",
      "v.csv");
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(r->calls.interval_s, 1800);
  EXPECT_EQ(r->calls.start, at(2025, 1, 6, 0, 0));
  EXPECT_EQ(r->calls.values, (std::vector<double>{11, 14, 0}));
  EXPECT_TRUE(r->aht_s.empty());
  EXPECT_EQ(r->calls.slots_per_week(), 336);
  EXPECT_EQ(format_local(r->calls.end()), "2025-01-06T01:30");
}

TEST(IntervalCsv, ReadsAhtColumnInAnyOrder) {
  const auto r = parse_interval_csv(
      "calls,aht_s,interval_start\n3,200.5,2025-03-01T10:00\n0,0,2025-03-01T10:15\n", "x");
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(r->calls.interval_s, 900);
  EXPECT_EQ(r->aht_s, (std::vector<double>{200.5, 0}));
}

void expect_error(std::string_view text, std::string_view needle) {
  const auto r = parse_interval_csv(text, "in.csv");
  ASSERT_FALSE(r.has_value()) << text;
  EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
}

TEST(IntervalCsv, BadRowsNameFileLineAndReason) {
  expect_error("interval_start,calls\n2025-01-06T00:00,1\n2025-01-06T00:30,-2\n",
               "in.csv:3: bad calls '-2'");
  expect_error("interval_start,calls\n2025-01-06T00:00,1\n2025-01-06T00:30,x\n", "in.csv:3");
  expect_error("interval_start,calls\n2025-02-30T00:00,1\n", "in.csv:2: bad interval_start");
  expect_error("interval_start,calls\n2025-01-06T00:00,1\n2025-01-06T00:30,1\n2025-01-06T01:30,1\n",
               "in.csv:4: expected interval_start 2025-01-06T01:00");
  expect_error("interval_start,weekday,calls\n2025-01-06T00:00,Tue,1\n", "in.csv:2: weekday 'Tue'");
  expect_error("interval_start,calls\n2025-01-06T00:00,1,7\n", "in.csv:2: expected 2 columns");
  expect_error("when,calls\n", "in.csv:1: header must name");
  expect_error("", "no header");
  expect_error("interval_start,calls\n", "no data rows");
  expect_error("interval_start,calls\n2025-01-06T00:00,1\n2025-01-06T00:07,1\n", "divide a day");
  expect_error("interval_start,calls\n2025-01-06T00:10,1\n2025-01-06T00:40,1\n", "boundary");
  expect_error("interval_start,calls,aht_s\n2025-01-06T00:00,4,0\n", "bad aht_s");
}

}  // namespace
}  // namespace hotline::wfm
