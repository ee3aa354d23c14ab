#include "wfm/interval_series.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <optional>

namespace hotline::wfm {
namespace {

using std::chrono::local_days;
using std::chrono::local_seconds;

constexpr std::array<std::string_view, 7> kWeekdays{"Sun", "Mon", "Tue", "Wed",
                                                    "Thu", "Fri", "Sat"};
constexpr std::size_t kMaxColumns = 64;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (out.size() <= kMaxColumns) {
    const auto comma = line.find(',', pos);
    out.push_back(trim(line.substr(pos, comma == std::string_view::npos ? comma : comma - pos)));
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

template <typename T>
bool parse_int(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

std::optional<local_seconds> parse_local(std::string_view s) {
  // YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS ('T' or ' ' between date and time).
  if (s.size() != 16 && s.size() != 19) return std::nullopt;
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':')
    return std::nullopt;
  int y = 0;
  unsigned mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!parse_int(s.substr(0, 4), y) || !parse_int(s.substr(5, 2), mo) ||
      !parse_int(s.substr(8, 2), d) || !parse_int(s.substr(11, 2), h) ||
      !parse_int(s.substr(14, 2), mi))
    return std::nullopt;
  if (s.size() == 19 && (s[16] != ':' || !parse_int(s.substr(17, 2), sec))) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{mo},
                                        std::chrono::day{d}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  return local_seconds{local_days{ymd}} + std::chrono::hours(h) + std::chrono::minutes(mi) +
         std::chrono::seconds(sec);
}

std::optional<double> parse_non_negative(std::string_view s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || !std::isfinite(v) || v < 0)
    return std::nullopt;
  return v;
}

}  // namespace

std::string format_local(local_seconds t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{t - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count());
}

Result<IntervalHistory> parse_interval_csv(std::string_view text, std::string_view source,
                                           int interval_s) {
  auto error = [&](std::size_t line, std::string reason) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("{}:{}: {}", source, line, reason));
  };
  if (interval_s < 0 || (interval_s > 0 && 86400 % interval_s != 0))
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("interval_s must divide a day, got {}", interval_s));
  IntervalHistory out;
  std::optional<std::size_t> col_start, col_calls, col_weekday, col_aht;
  std::size_t columns = 0, line_no = 0, pos = 0;
  std::optional<local_seconds> previous;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    const auto line = trim(text.substr(pos, nl == std::string_view::npos ? nl : nl - pos));
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (line.empty()) continue;
    const auto cells = split(line);
    if (!col_start) {  // header
      if (cells.size() > kMaxColumns) return error(line_no, "too many columns");
      for (std::size_t i = 0; i < cells.size(); ++i) {
        if (cells[i] == "interval_start") col_start = i;
        if (cells[i] == "calls") col_calls = i;
        if (cells[i] == "weekday") col_weekday = i;
        if (cells[i] == "aht_s") col_aht = i;
      }
      if (!col_start || !col_calls)
        return error(line_no, "header must name the columns interval_start and calls");
      columns = cells.size();
      continue;
    }
    if (cells.size() != columns)
      return error(line_no, fmt::format("expected {} columns, got {}", columns, cells.size()));
    const auto start = parse_local(cells[*col_start]);
    if (!start)
      return error(line_no, fmt::format("bad interval_start '{}' (want YYYY-MM-DDTHH:MM)",
                                        cells[*col_start]));
    const auto calls = parse_non_negative(cells[*col_calls]);
    if (!calls)
      return error(line_no, fmt::format("bad calls '{}' (want a number >= 0)", cells[*col_calls]));
    if (col_weekday) {
      const std::chrono::weekday wd{std::chrono::floor<std::chrono::days>(*start)};
      if (cells[*col_weekday] != kWeekdays[wd.c_encoding()])
        return error(line_no,
                     fmt::format("weekday '{}' does not match {} (a {})", cells[*col_weekday],
                                 format_local(*start), kWeekdays[wd.c_encoding()]));
    }
    if (!previous) {
      out.calls.start = *start;
    } else {
      const auto step = (*start - *previous).count();
      if (interval_s == 0 && out.calls.values.size() == 1) {
        if (step <= 0 || 86400 % step != 0)
          return error(line_no, fmt::format("interval of {} s between the first rows does not "
                                            "divide a day",
                                            step));
        interval_s = static_cast<int>(step);
      }
      if (step != interval_s)
        return error(line_no,
                     fmt::format("expected interval_start {} (rows must be consecutive, every "
                                 "{} s), got {}",
                                 format_local(*previous + std::chrono::seconds(interval_s)),
                                 interval_s, format_local(*start)));
    }
    previous = start;
    out.calls.values.push_back(*calls);
    if (col_aht) {
      const auto aht = parse_non_negative(cells[*col_aht]);
      if (!aht || (*calls > 0 && *aht == 0))
        return error(line_no, fmt::format("bad aht_s '{}' (want a number > 0 when calls > 0)",
                                          cells[*col_aht]));
      out.aht_s.push_back(*aht);
    }
  }
  if (!col_start) return error(line_no, "empty file: no header");
  if (out.calls.values.empty()) return error(line_no, "no data rows");
  out.calls.interval_s = interval_s > 0 ? interval_s : 1800;
  const auto since_midnight =
      out.calls.start - std::chrono::floor<std::chrono::days>(out.calls.start);
  if (since_midnight.count() % out.calls.interval_s != 0)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: first interval_start {} is not on a {} s boundary of the day",
                            source, format_local(out.calls.start), out.calls.interval_s));
  return out;
}

}  // namespace hotline::wfm
