// `hotline sim SCENARIO`: runs a scenario file through the simulator (the live
// server's routing code on a virtual clock) and prints service level, ASA,
// abandonment and occupancy per interval, per queue and per agent.
//
// Thread-safety: call from main only.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace hotline::app {

struct SimCommand {
  std::string scenario_path;
  std::string format = "table";       // table | csv | json
  std::string report = "all";         // all | intervals | queues | agents (csv: one of the last 3)
  std::optional<std::uint64_t> seed;  // overrides the scenario's
};

// Exit code: 0 done, 1 the simulation failed, 2 the scenario or options are wrong.
int run_sim_command(const SimCommand& command, std::ostream& out, std::ostream& err);

}  // namespace hotline::app
