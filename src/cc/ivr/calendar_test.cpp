#include "cc/ivr/calendar.hpp"

#include <gtest/gtest.h>

#include "cc/ivr/test_driver.hpp"

namespace hotline::cc::ivr {
namespace {

using namespace std::chrono_literals;
using std::chrono::December;
using std::chrono::November;

HoursNode office(std::string zone) {
  HoursNode h;
  h.timezone = std::move(zone);
  for (int d = 0; d < 5; ++d) h.week[static_cast<std::size_t>(d)] = {{8 * 60, 18 * 60}};
  h.week[5] = {{9 * 60, 12 * 60}, {14 * 60, 24 * 60}};  // Saturday, split, to midnight
  h.holidays = {2026y / December / 25};
  return h;
}

TEST(IvrCalendar, WeeklyRangesIncludeTheStartAndExcludeTheEnd) {
  const FixedOffsetZones zones;
  const HoursNode h = office("UTC");
  const auto at = [](std::chrono::year_month_day d, std::chrono::minutes m) {
    return testing::local_time(d, m, 0min);
  };
  EXPECT_EQ(evaluate_hours(h, at(2026y / November / 25, 8h), zones), HoursState::kOpen);
  EXPECT_EQ(evaluate_hours(h, at(2026y / November / 25, 7h + 59min), zones), HoursState::kClosed);
  EXPECT_EQ(evaluate_hours(h, at(2026y / November / 25, 18h), zones), HoursState::kClosed);
  EXPECT_EQ(evaluate_hours(h, at(2026y / November / 28, 13h), zones), HoursState::kClosed);
  EXPECT_EQ(evaluate_hours(h, at(2026y / November / 28, 23h + 59min), zones), HoursState::kOpen);
  EXPECT_EQ(evaluate_hours(h, at(2026y / November / 29, 10h), zones), HoursState::kClosed);  // Sun
}

TEST(IvrCalendar, TheZoneDecidesTheLocalDayAndHour) {
  FixedOffsetZones zones;
  zones.add("Asia/Tokyo", 9h);
  // 2026-12-24 16:30 UTC is 2026-12-25 01:30 in Tokyo: a holiday there, not in UTC.
  const Timestamp t = testing::local_time(2026y / December / 24, 16h + 30min, 0min);
  EXPECT_EQ(evaluate_hours(office("Asia/Tokyo"), t, zones), HoursState::kHoliday);
  EXPECT_EQ(evaluate_hours(office("UTC"), t, zones), HoursState::kOpen);
  // 07:30 UTC on a Wednesday is 08:30 at UTC+01:00 (open) and 02:30 at UTC-05:00.
  const Timestamp w = testing::local_time(2026y / November / 25, 7h + 30min, 0min);
  EXPECT_EQ(evaluate_hours(office("UTC+01:00"), w, zones), HoursState::kOpen);
  EXPECT_EQ(evaluate_hours(office("UTC-05:00"), w, zones), HoursState::kClosed);
  EXPECT_EQ(evaluate_hours(office("Mars/Olympus"), w, zones), HoursState::kClosed);
}

TEST(IvrCalendar, Parsers) {
  EXPECT_EQ(parse_days("mon-fri").value(), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(parse_days("sat, sun").value(), (std::vector<int>{5, 6}));
  EXPECT_EQ(parse_days("daily").value().size(), 7u);
  EXPECT_FALSE(parse_days("fri-mon").has_value());
  EXPECT_FALSE(parse_days("monday").has_value());
  EXPECT_EQ(parse_time_range("00:00-24:00").value().end, 1440);
  EXPECT_FALSE(parse_time_range("24:00-24:00").has_value());
  EXPECT_FALSE(parse_time_range("09:60-10:00").has_value());
  EXPECT_FALSE(parse_time_range("0900-1000").has_value());
  EXPECT_TRUE(parse_date("2028-02-29").has_value());
  EXPECT_FALSE(parse_date("2027-02-29").has_value());
  EXPECT_FALSE(parse_date("2027-1-01").has_value());
  const FixedOffsetZones zones;
  EXPECT_EQ(zones.utc_offset("UTC-05:30", Timestamp{}), -(5h + 30min));
  EXPECT_FALSE(zones.utc_offset("UTC+15:00", Timestamp{}).has_value());
  EXPECT_FALSE(zones.utc_offset("Europe/Paris", Timestamp{}).has_value());
}

}  // namespace
}  // namespace hotline::cc::ivr
