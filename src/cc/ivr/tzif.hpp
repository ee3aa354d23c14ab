// Time zones from the system tz database for `hours` nodes, without I/O in the pure
// core: TzifZone parses the bytes of a TZif file (RFC 8536, versions 2+) that the
// caller read, and TzifZones is a ZoneResolver that asks an injected reader for a
// zone's bytes the first time the zone is used (the switch reads
// /usr/share/zoneinfo/<name>). GCC 12's libstdc++ has no std::chrono tzdb.
//
// Beyond the file's last transition the POSIX TZ rule of the footer is applied
// (the "Mm.w.d" form tzdata uses, e.g. "CET-1CEST,M3.5.0,M10.5.0/3"); with another
// form, the last transition's offset stays.
//
// Thread-safety: TzifZone is immutable. TzifZones caches zones as they are first
// asked for: one owner (the control loop) at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cc/ivr/calendar.hpp"
#include "common/error.hpp"

namespace hotline::cc::ivr {

class TzifZone {
 public:
  static Result<TzifZone> parse(std::string_view bytes);
  std::chrono::seconds utc_offset(Timestamp at) const;

  // "Mm.w.d[/time]" transition of a POSIX TZ rule.
  struct RuleDate {
    int month = 0;             // 1..12
    int week = 0;              // 1..5 (5 = last)
    int weekday = 0;           // 0 = Sunday
    std::int64_t time = 7200;  // seconds after local midnight (may be negative or > 24h)
  };
  struct PosixRule {
    std::int64_t std_offset = 0;  // seconds east of UTC
    std::optional<std::int64_t> dst_offset;
    RuleDate start;
    RuleDate end;
  };

 private:
  std::vector<std::int64_t> transitions_;  // UTC seconds, ascending
  std::vector<std::int32_t> offsets_;      // offset in force from transitions_[i]
  std::int32_t initial_offset_ = 0;        // before the first transition
  std::optional<PosixRule> rule_;
};

// Parses the POSIX TZ string of a TZif footer; nullopt for forms not handled.
std::optional<TzifZone::PosixRule> parse_posix_tz(std::string_view text);

class TzifZones final : public ZoneResolver {
 public:
  // `read` returns the TZif bytes of a zone name ("Europe/Paris"), nullopt if there
  // is no such zone. Names are checked first (no "..", no leading '/').
  using Reader = std::function<std::optional<std::string>(std::string_view zone)>;
  explicit TzifZones(Reader read) : read_(std::move(read)) {}

  // Also answers the fixed forms of FixedOffsetZones ("UTC", "UTC+02:00").
  std::optional<std::chrono::seconds> utc_offset(std::string_view zone,
                                                 Timestamp at) const override;

 private:
  Reader read_;
  FixedOffsetZones fixed_;
  mutable std::map<std::string, std::optional<TzifZone>, std::less<>> cache_;
};

}  // namespace hotline::cc::ivr
