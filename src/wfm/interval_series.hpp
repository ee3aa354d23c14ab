// A regular series of per-interval values (calls, AHT) in local civil time, and the
// parser for "an imported CSV of interval volumes" given as text. No file access:
// the caller reads the file. Pure; thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace hotline::wfm {

// Invariants: interval_s > 0 divides 86400; values[i] covers
// [start + i·interval_s, start + (i+1)·interval_s). Local time has no zone (and so no
// DST jumps): a day is always 86400 / interval_s slots.
struct IntervalSeries {
  std::chrono::local_seconds start{};
  int interval_s = 1800;
  std::vector<double> values;

  int slots_per_day() const { return 86400 / interval_s; }
  int slots_per_week() const { return 7 * slots_per_day(); }
  std::chrono::local_seconds slot_start(std::size_t i) const {
    return start + std::chrono::seconds(static_cast<long long>(i) * interval_s);
  }
  std::chrono::local_seconds end() const { return slot_start(values.size()); }
};

// What an interval-volume CSV holds: calls always, AHT when the file has the column.
struct IntervalHistory {
  IntervalSeries calls;
  std::vector<double> aht_s;  // empty, or one value per interval (0 where no calls)
};

// Columns (any order, by header name): `interval_start` (YYYY-MM-DDTHH:MM[:SS], local),
// `calls` (>= 0), optional `weekday` (Mon..Sun, checked against the date) and optional
// `aht_s`. Rows must be consecutive, equally spaced and without gaps; the spacing is
// taken from the first two rows unless interval_s > 0 is given. Errors read
// "<source>:<line>: <reason>".
Result<IntervalHistory> parse_interval_csv(std::string_view text, std::string_view source,
                                           int interval_s = 0);

// "2025-01-06T00:30" for a local time.
std::string format_local(std::chrono::local_seconds t);

}  // namespace hotline::wfm
