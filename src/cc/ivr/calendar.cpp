#include "cc/ivr/calendar.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace hotline::cc::ivr {

namespace {

constexpr std::array<std::string_view, 7> kDayNames = {"mon", "tue", "wed", "thu",
                                                       "fri", "sat", "sun"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::optional<int> parse_uint(std::string_view s, std::size_t digits) {
  if (s.size() != digits) return std::nullopt;
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// "HH:MM" -> minutes since midnight; 24:00 allowed only when `allow_end`.
std::optional<int> parse_clock(std::string_view s, bool allow_end) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  auto h = parse_uint(s.substr(0, 2), 2);
  auto m = parse_uint(s.substr(3, 2), 2);
  if (!h || !m || *m > 59) return std::nullopt;
  if (*h == 24 && *m == 0 && allow_end) return 24 * 60;
  if (*h > 23) return std::nullopt;
  return *h * 60 + *m;
}

std::optional<int> day_index(std::string_view s) {
  for (std::size_t i = 0; i < kDayNames.size(); ++i) {
    if (kDayNames[i] == s) return static_cast<int>(i);
  }
  return std::nullopt;
}

// "+02:00" / "-05:30" -> offset.
std::optional<std::chrono::seconds> parse_offset(std::string_view s) {
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  auto hm = parse_clock(s.substr(1), false);
  if (!hm || *hm > 14 * 60) return std::nullopt;
  const std::chrono::seconds off = std::chrono::minutes(*hm);
  return s[0] == '-' ? -off : off;
}

}  // namespace

FixedOffsetZones& FixedOffsetZones::add(std::string name, std::chrono::seconds offset) {
  named_.emplace_back(std::move(name), offset);
  return *this;
}

std::optional<std::chrono::seconds> FixedOffsetZones::utc_offset(std::string_view zone,
                                                                 Timestamp) const {
  for (const auto& [name, off] : named_) {
    if (name == zone) return off;
  }
  if (zone == "UTC" || zone == "Etc/UTC" || zone == "GMT") return std::chrono::seconds(0);
  if (zone.starts_with("UTC")) return parse_offset(zone.substr(3));
  return std::nullopt;
}

std::string_view to_string(HoursState state) {
  switch (state) {
    case HoursState::kOpen: return "open";
    case HoursState::kClosed: return "closed";
    case HoursState::kHoliday: return "holiday";
  }
  return "?";
}

HoursState evaluate_hours(const HoursNode& hours, Timestamp at, const ZoneResolver& zones) {
  const auto offset = zones.utc_offset(hours.timezone, at);
  if (!offset) return HoursState::kClosed;
  const auto local = std::chrono::time_point_cast<std::chrono::seconds>(at) + *offset;
  const auto day = std::chrono::floor<std::chrono::days>(local);
  const std::chrono::year_month_day ymd{day};
  if (std::find(hours.holidays.begin(), hours.holidays.end(), ymd) != hours.holidays.end()) {
    return HoursState::kHoliday;
  }
  const int weekday = static_cast<int>(std::chrono::weekday{day}.iso_encoding()) - 1;
  const int minute =
      static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(local - day).count());
  for (const auto& r : hours.week[static_cast<std::size_t>(weekday)]) {
    if (minute >= r.start && minute < r.end) return HoursState::kOpen;
  }
  return HoursState::kClosed;
}

Result<TimeRange> parse_time_range(std::string_view text) {
  const std::string_view t = trim(text);
  const auto dash = t.find('-');
  const auto bad = [&] {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("bad time range '{}': expected HH:MM-HH:MM, e.g. 08:00-18:00", text));
  };
  if (dash == std::string_view::npos) return bad();
  auto start = parse_clock(trim(t.substr(0, dash)), false);
  auto end = parse_clock(trim(t.substr(dash + 1)), true);
  if (!start || !end) return bad();
  if (*end <= *start) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("bad time range '{}': the end must be after the start (split a "
                            "range that crosses midnight in two days)",
                            text));
  }
  return TimeRange{*start, *end};
}

Result<std::vector<int>> parse_days(std::string_view text) {
  std::vector<int> out;
  if (trim(text) == "daily") return std::vector<int>{0, 1, 2, 3, 4, 5, 6};
  std::string_view rest = text;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view part = trim(rest.substr(0, comma));
    const auto dash = part.find('-');
    auto first = day_index(trim(part.substr(0, dash)));
    auto last = dash == std::string_view::npos ? first : day_index(trim(part.substr(dash + 1)));
    if (!first || !last || *last < *first) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("bad days '{}': expected day names mon..sun, ranges like mon-fri, "
                              "lists like sat,sun, or daily",
                              text));
    }
    for (int d = *first; d <= *last; ++d) {
      if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return out;
}

Result<std::chrono::year_month_day> parse_date(std::string_view text) {
  const auto bad = [&] {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("bad date '{}': expected YYYY-MM-DD, a real calendar day", text));
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad();
  auto y = parse_uint(text.substr(0, 4), 4);
  auto m = parse_uint(text.substr(5, 2), 2);
  auto d = parse_uint(text.substr(8, 2), 2);
  if (!y || !m || !d) return bad();
  const std::chrono::year_month_day ymd{std::chrono::year{*y},
                                        std::chrono::month{static_cast<unsigned>(*m)},
                                        std::chrono::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return bad();
  return ymd;
}

}  // namespace hotline::cc::ivr
