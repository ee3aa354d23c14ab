// Simulation scenario files for `hotline sim`: the contact center (skills, queues,
// agents — the same sections and reader as hotline.yaml) plus traffic per queue and
// agents' shifts, read into a sim::Scenario. The format is in docs/acd.md
// ("Simulating a contact center").
//
// Thread-safety: plain functions over values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config_reader.hpp"
#include "sim/simulator.hpp"

namespace hotline::app {

struct LoadedScenario {
  std::optional<sim::Scenario> scenario;  // set when there is no error
  std::vector<std::string> queue_names;   // index = queue in the scenario
  ConfigErrors errors;
};

// `file` names the text in error messages.
LoadedScenario load_scenario_text(std::string_view text, const std::string& file);
LoadedScenario load_scenario_file(const std::string& path);

// "exponential 180s", "fixed 2m", "never", or { samples: [90s, 120s, ...] }.
std::optional<sim::Distribution> read_distribution(const ConfigNode& node);

}  // namespace hotline::app
