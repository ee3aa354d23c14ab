#include "common/clock.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace hotline {

Timestamp SystemClock::now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

MonoTime SystemClock::mono() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

ManualClock::ManualClock(Timestamp start) : wall_(start), mono_(Duration(1'000'000)) {}

void ManualClock::advance(Duration d) {
  wall_ += d;
  mono_ += d;
}

std::string format_rfc3339(Timestamp t) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", secs, millis);
}

}  // namespace hotline
