// The workforce-management operations behind `hotline wfm ...` and /api/v1/wfm/...:
// each takes a JSON request, runs the pure src/wfm (and src/sim) code and returns a
// JSON result, so the command line and the REST API give the same answers. Field
// formats are documented in docs/wfm.md. No I/O here: the CLI reads files into the
// request, the API takes it from the body.
//
// Errors: kInvalidArgument for bad input (the message names the field, e.g.
// "agents[2].contract_hours: must be a number >= 0", or "file:line: reason" for CSV
// text); kFailedPrecondition when the input is valid but cannot be met (a target no
// finite staffing reaches). Thread-safety: pure functions; any thread.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "common/error.hpp"

namespace hotline::app::wfm_ops {

// One interval: figures at `agents`, or the smallest staffing meeting a target; or
// a staffing plan for "intervals" (volume and AHT per interval).
Result<nlohmann::json> erlang(const nlohmann::json& request);
// Forecast from "history" (start, interval_s, calls[, aht_s]) or "history_csv" text.
Result<nlohmann::json> forecast(const nlohmann::json& request);
// A week's schedule for a problem (templates, agents, rules) and a requirement curve
// given directly or derived from "demand".
Result<nlohmann::json> schedule(const nlohmann::json& request);
// Simulated vs Erlang service level per interval for a schedule (built first when
// the request has none) and its demand.
Result<nlohmann::json> validate(const nlohmann::json& request);
// A (hand-edited) schedule checked against the problem: every labour-rule violation,
// coverage per slot against the requirement, uncovered intervals. Cheap.
Result<nlohmann::json> check(const nlohmann::json& request);
// Adherence per agent per day: a schedule against agent state events.
Result<nlohmann::json> adherence(const nlohmann::json& request);

// Dispatches by name ("erlang", "forecast", "schedule", "validate", "check", "adherence");
// kNotFound for an unknown name.
Result<nlohmann::json> run(std::string_view operation, const nlohmann::json& request);

}  // namespace hotline::app::wfm_ops
