// Loads and validates IVR flows from YAML (format: docs/ivr.md). Every problem is a
// ConfigError with its path and file:line:col: unknown keys and node types (with
// "did you mean"), unknown node references (with "did you mean"), unreachable
// nodes, prompt files that do not exist, loops with no exit, loops of nodes that
// never wait, bad digit keys, bad times, dates and time zones, bad JSON pointers and
// regular expressions, and variables used but never set.
//
// Thread-safety: stateless; the result is immutable and may be shared.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "cc/ivr/calendar.hpp"
#include "cc/ivr/flow.hpp"
#include "common/config_reader.hpp"

namespace hotline::cc::ivr {

struct LoadOptions {
  // Whether a prompt file exists (the caller resolves it against its prompt
  // directory). Empty: files are not checked.
  std::function<bool(std::string_view)> prompt_exists;
  // Time zones for `hours` nodes; nullptr: FixedOffsetZones (UTC and UTC±HH:MM).
  const ZoneResolver* zones = nullptr;
  // Named holiday calendars (`holidays: france` in an hours node instead of a list
  // of dates): the calendar's dates ("2026-12-25"), or null when there is no such
  // calendar. The same calendars feed the WFM forecast (docs/wfm.md).
  std::function<const std::vector<std::string>*(std::string_view name)> calendar;
  // The calendar names, for "did you mean" hints.
  std::vector<std::string> calendar_names;
};

// Variables every session has: caller, did, source, call_id; and callback_number,
// set by a callback node.
bool is_builtin_variable(std::string_view name);

// Bounds (DESIGN.md principle 5).
inline constexpr std::size_t kMaxNodesPerFlow = 2000;
inline constexpr std::uint32_t kMaxDigits = 64;

// `flows` is a mapping of flow name -> flow (the `flows:` of config/ivr/*.yaml, or
// `ivr.flows` of hotline.yaml). Errors go to `errors`, which must be the
// ConfigErrors behind `flows`; the returned set holds only flows that loaded
// without error.
FlowSet load_flows(const ConfigNode& flows, const LoadOptions& options, const ConfigErrors& errors);

// Parses a YAML document whose top level holds `flows:`. nullopt when anything is
// wrong (details in `errors`).
std::optional<FlowSet> load_flows_from_text(std::string_view text, const std::string& file,
                                            const LoadOptions& options, ConfigErrors& errors);

}  // namespace hotline::cc::ivr
