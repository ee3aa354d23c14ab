#include "cc/ivr/tzif.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "cc/ivr/test_driver.hpp"
#include "support/test_support.hpp"

namespace hotline::cc::ivr {
namespace {

using namespace std::chrono_literals;

const std::filesystem::path kZoneInfo = "/usr/share/zoneinfo";

// The system tz database, read the way the switch reads it.
std::optional<std::string> read_zone(std::string_view name) {
  const auto path = kZoneInfo / std::string(name);
  if (!std::filesystem::is_regular_file(path)) return std::nullopt;
  return hotline::testing::read_file(path);
}

Timestamp utc(std::chrono::year_month_day day, std::chrono::seconds time) {
  return Timestamp(std::chrono::sys_days(day) + time);
}

class IvrTzif : public ::testing::Test {
 protected:
  void SetUp() override {
    // scripts/setup installs tzdata; the server reads the same files for IVR hours.
    ASSERT_TRUE(std::filesystem::exists(kZoneInfo / "Europe/Paris"))
        << "no tz database (Debian package tzdata) at " << kZoneInfo;
  }
};

TEST_F(IvrTzif, ParisSummerWinterAndTheSwitchInstant) {
  auto paris = TzifZone::parse(*read_zone("Europe/Paris"));
  ASSERT_TRUE(paris.has_value()) << paris.error().message;
  using std::chrono::December;
  using std::chrono::July;
  using std::chrono::March;
  EXPECT_EQ(paris->utc_offset(utc(2026y / July / 1, 12h)), 2h);
  EXPECT_EQ(paris->utc_offset(utc(2026y / December / 1, 12h)), 1h);
  // Summer time starts on the last Sunday of March at 01:00 UTC.
  EXPECT_EQ(paris->utc_offset(utc(2026y / March / 29, 1h - 1s)), 1h);
  EXPECT_EQ(paris->utc_offset(utc(2026y / March / 29, 1h)), 2h);
  // Past the file's transitions, the footer's POSIX rule keeps going.
  EXPECT_EQ(paris->utc_offset(utc(2051y / July / 1, 12h)), 2h);
  EXPECT_EQ(paris->utc_offset(utc(2051y / December / 1, 12h)), 1h);
  EXPECT_EQ(paris->utc_offset(utc(2051y / March / 26, 1h - 1s)), 1h);  // last Sunday
  EXPECT_EQ(paris->utc_offset(utc(2051y / March / 26, 1h)), 2h);
}

TEST_F(IvrTzif, NewYorkAndSydney) {
  using std::chrono::January;
  using std::chrono::July;
  auto ny = TzifZone::parse(*read_zone("America/New_York"));
  auto sydney = TzifZone::parse(*read_zone("Australia/Sydney"));
  ASSERT_TRUE(ny.has_value());
  ASSERT_TRUE(sydney.has_value());
  EXPECT_EQ(ny->utc_offset(utc(2026y / July / 1, 12h)), -4h);
  EXPECT_EQ(ny->utc_offset(utc(2026y / January / 15, 12h)), -5h);
  EXPECT_EQ(ny->utc_offset(utc(2060y / July / 1, 12h)), -4h);
  EXPECT_EQ(sydney->utc_offset(utc(2026y / January / 15, 12h)), 11h);  // southern summer
  EXPECT_EQ(sydney->utc_offset(utc(2026y / July / 15, 12h)), 10h);
  EXPECT_EQ(sydney->utc_offset(utc(2060y / January / 15, 12h)), 11h);
  EXPECT_EQ(sydney->utc_offset(utc(2060y / July / 15, 12h)), 10h);
}

TEST_F(IvrTzif, ResolverReadsOnDemandAndRefusesOddNames) {
  std::vector<std::string> asked;
  TzifZones zones([&](std::string_view name) {
    asked.emplace_back(name);
    return read_zone(name);
  });
  EXPECT_EQ(zones.utc_offset("Europe/Paris", utc(std::chrono::year{2026} / 7 / 1, 0s)), 2h);
  EXPECT_EQ(zones.utc_offset("Europe/Paris", utc(std::chrono::year{2026} / 1 / 1, 0s)), 1h);
  EXPECT_EQ(zones.utc_offset("UTC+03:00", Timestamp{}), 3h);
  EXPECT_FALSE(zones.utc_offset("Europe/Pariss", Timestamp{}).has_value());
  EXPECT_FALSE(zones.utc_offset("../../etc/passwd", Timestamp{}).has_value());
  EXPECT_FALSE(zones.utc_offset("/etc/passwd", Timestamp{}).has_value());
  EXPECT_EQ(asked, (std::vector<std::string>{"Europe/Paris", "Europe/Pariss"}));  // cached

  // The loader validates zone names through the same resolver.
  ConfigErrors errors;
  LoadOptions options;
  options.zones = &zones;
  auto set = load_flows_from_text(R"(flows:
  f:
    start: h
    nodes:
      h: {type: hours, timezone: America/Chicagoo, schedule: {daily: "08:00-18:00"},
          open: q, closed: q}
      q: {type: queue, queue: sales}
)",
                                  "f.yaml", options, errors);
  EXPECT_FALSE(set.has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors.all()[0].message.find("unknown time zone 'America/Chicagoo'"),
            std::string::npos);
}

TEST(IvrTzifParse, PosixRulesAndBadInput) {
  auto cet = parse_posix_tz("CET-1CEST,M3.5.0,M10.5.0/3");
  ASSERT_TRUE(cet.has_value());
  EXPECT_EQ(cet->std_offset, 3600);
  EXPECT_EQ(cet->dst_offset, 7200);
  EXPECT_EQ(cet->start.month, 3);
  EXPECT_EQ(cet->start.week, 5);
  EXPECT_EQ(cet->start.time, 7200);
  EXPECT_EQ(cet->end.time, 3 * 3600);
  auto fixed = parse_posix_tz("<+03>-3");
  ASSERT_TRUE(fixed.has_value());
  EXPECT_EQ(fixed->std_offset, 3 * 3600);
  EXPECT_FALSE(fixed->dst_offset.has_value());
  EXPECT_FALSE(parse_posix_tz("EST5EDT,J60,J300").has_value());  // Julian form: not handled
  EXPECT_FALSE(parse_posix_tz("").has_value());

  EXPECT_FALSE(TzifZone::parse("").has_value());
  EXPECT_FALSE(TzifZone::parse("TZif2 but far too short").has_value());
  std::string header(44, '\0');
  header.replace(0, 5, "TZif2");
  EXPECT_FALSE(TzifZone::parse(header).has_value());  // no types
}

}  // namespace
}  // namespace hotline::cc::ivr
