// File input and human/CSV/JSON output for `hotline wfm ...`: reads the JSON and CSV
// files a planner hands in (errors name the file and line), and renders an operation's
// JSON result (app/wfm_ops.hpp) as an aligned table, CSV rows or JSON. The planning
// math stays in src/wfm; this is the I/O around it.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/text_file.hpp"

namespace hotline::app::wfm_io {

enum class Format { kTable, kCsv, kJson };
Result<Format> parse_format(std::string_view name);  // "table", "csv", "json"

// The whole file (at most 256 MiB). Errors: "<path>: <strerror>".
using hotline::read_text_file;
// A JSON document; syntax errors read "<path>: <parser message with line and column>".
Result<nlohmann::json> read_json_file(const std::string& path);

// Agent state changes, columns by header name: `time` (YYYY-MM-DDTHH:MM[:SS], local;
// a trailing zone is ignored), `agent`, `state` (ready, busy, not_ready, ...). Returns
// the "events" array of an adherence request. Errors: "<source>:<line>: <reason>".
Result<nlohmann::json> parse_states_csv(std::string_view text, std::string_view source);

struct Rendered {
  std::string out;    // for stdout
  std::string notes;  // summary and warnings: part of `out` for tables, stderr for CSV
};

// `operation` is the wfm_ops name ("erlang", "forecast", ...); `result` its output.
Rendered render(std::string_view operation, const nlohmann::json& result, Format format);

}  // namespace hotline::app::wfm_io
