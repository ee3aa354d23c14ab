// Whole-flow checks of the IVR loader: every node reachable from the start, a
// terminal node reachable from every loop, and no loop made only of nodes that do
// not wait (the invariants stated in flow.hpp). Errors are reported at the node's
// ConfigNode, so they carry its path and file:line:col.
//
// Thread-safety: a pure function.
#pragma once

#include <vector>

#include "cc/ivr/flow.hpp"
#include "common/config_reader.hpp"

namespace hotline::cc::ivr {

// REQUIRES every NodeIndex of `flow` valid (references resolved) and `cfgs[i]` the
// configuration of `flow.nodes[i]`.
void check_flow_graph(const Flow& flow, const std::vector<ConfigNode>& cfgs);

}  // namespace hotline::cc::ivr
