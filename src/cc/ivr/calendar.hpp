// Business hours for IVR flows: time zones through an injected resolver (the pure
// core reads no tz database), weekly schedules, holiday dates, and the parsers for
// their YAML spellings ("mon-fri", "08:00-18:00", "2026-12-25").
//
// Thread-safety: the functions are pure; FixedOffsetZones is immutable.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cc/ivr/flow.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"

namespace hotline::cc::ivr {

// Maps a zone name and an instant to the zone's offset from UTC at that instant.
// The switch implements it over the system tz database; tests and the built-in
// fallback use FixedOffsetZones.
class ZoneResolver {
 public:
  virtual ~ZoneResolver() = default;
  // nullopt: the zone is unknown.
  virtual std::optional<std::chrono::seconds> utc_offset(std::string_view zone,
                                                         Timestamp at) const = 0;
};

// "UTC", "Etc/UTC", "GMT", "UTC+02:00", "UTC-05:30", plus any names added with
// their fixed offsets (no daylight saving).
class FixedOffsetZones final : public ZoneResolver {
 public:
  FixedOffsetZones() = default;
  FixedOffsetZones& add(std::string name, std::chrono::seconds offset);
  std::optional<std::chrono::seconds> utc_offset(std::string_view zone,
                                                 Timestamp at) const override;

 private:
  std::vector<std::pair<std::string, std::chrono::seconds>> named_;
};

enum class HoursState : std::uint8_t { kOpen, kClosed, kHoliday };
std::string_view to_string(HoursState state);

// Where `at` falls for the schedule in its zone; kClosed when the zone is unknown.
HoursState evaluate_hours(const HoursNode& hours, Timestamp at, const ZoneResolver& zones);

// "08:00-18:00" (end may be "24:00"; end after start).
Result<TimeRange> parse_time_range(std::string_view text);
// "mon", "mon-fri", "sat,sun", "daily" -> day indices (0 = Monday).
Result<std::vector<int>> parse_days(std::string_view text);
// "2026-12-25", a real calendar date.
Result<std::chrono::year_month_day> parse_date(std::string_view text);

}  // namespace hotline::cc::ivr
