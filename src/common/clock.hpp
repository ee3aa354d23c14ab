// Time comes from an injected Clock, never from now() in domain code (DESIGN.md,
// principle 1). The live server uses SystemClock; tests and the simulator use
// ManualClock and move time explicitly.
//
// Thread-safety: SystemClock is safe from any thread. ManualClock is meant for
// single-threaded tests; advance() and now() must not race.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace hotline {

// Wall-clock instant with microsecond resolution (what events and rows store).
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;
// Monotonic instant for timers and timeouts; never jumps with NTP.
using MonoTime = std::chrono::time_point<std::chrono::steady_clock, std::chrono::microseconds>;
using Duration = std::chrono::microseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
  virtual MonoTime mono() const = 0;
};

class SystemClock final : public Clock {
 public:
  Timestamp now() const override;
  MonoTime mono() const override;
};

// A clock that moves only when told to. now() and mono() advance together.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start = Timestamp(std::chrono::seconds(1'700'000'000)));
  Timestamp now() const override { return wall_; }
  MonoTime mono() const override { return mono_; }
  void advance(Duration d);

 private:
  Timestamp wall_;
  MonoTime mono_;
};

// Microseconds since the Unix epoch, as stored in the database.
inline std::int64_t to_micros(Timestamp t) {
  return t.time_since_epoch().count();
}
inline Timestamp from_micros(std::int64_t us) {
  return Timestamp(Duration(us));
}

// RFC 3339 UTC with milliseconds: "2026-11-25T04:13:17.123Z".
std::string format_rfc3339(Timestamp t);

}  // namespace hotline
