#include "cc/ivr/flow_graph.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace hotline::cc::ivr {

namespace {

// Strongly connected components (Tarjan) of the subgraph `in` selects.
class Scc {
 public:
  Scc(const std::vector<std::vector<NodeIndex>>& edges, const std::vector<bool>& in)
      : edges_(edges),
        in_(in),
        index_(edges.size(), -1),
        low_(edges.size(), 0),
        on_stack_(edges.size(), false) {
    for (NodeIndex v = 0; v < edges.size(); ++v) {
      if (in_[v] && index_[v] < 0) visit(v);
    }
  }
  // Components with a cycle: more than one node, or a node that leads to itself.
  std::vector<std::vector<NodeIndex>> cyclic() const {
    std::vector<std::vector<NodeIndex>> out;
    for (const auto& c : components_) {
      const bool self = c.size() == 1 && std::find(edges_[c[0]].begin(), edges_[c[0]].end(),
                                                   c[0]) != edges_[c[0]].end();
      if (c.size() > 1 || self) {
        auto sorted = c;
        std::sort(sorted.begin(), sorted.end());
        out.push_back(std::move(sorted));
      }
    }
    return out;
  }

 private:
  void visit(NodeIndex v) {
    index_[v] = low_[v] = counter_++;
    stack_.push_back(v);
    on_stack_[v] = true;
    for (NodeIndex w : edges_[v]) {
      if (!in_[w]) continue;
      if (index_[w] < 0) {
        visit(w);
        low_[v] = std::min(low_[v], low_[w]);
      } else if (on_stack_[w]) {
        low_[v] = std::min(low_[v], index_[w]);
      }
    }
    if (low_[v] == index_[v]) {
      std::vector<NodeIndex> comp;
      NodeIndex w;
      do {
        w = stack_.back();
        stack_.pop_back();
        on_stack_[w] = false;
        comp.push_back(w);
      } while (w != v);
      components_.push_back(std::move(comp));
    }
  }

  const std::vector<std::vector<NodeIndex>>& edges_;
  const std::vector<bool>& in_;
  std::vector<int> index_;
  std::vector<int> low_;
  std::vector<bool> on_stack_;
  std::vector<NodeIndex> stack_;
  std::vector<std::vector<NodeIndex>> components_;
  int counter_ = 0;
};

std::string name_list(const Flow& flow, const std::vector<NodeIndex>& nodes) {
  std::string out;
  for (NodeIndex n : nodes) {
    if (!out.empty()) out += ", ";
    out += flow.nodes[n].name;
  }
  return out;
}

}  // namespace

void check_flow_graph(const Flow& flow, const std::vector<ConfigNode>& cfgs) {
  const std::size_t n = flow.nodes.size();
  std::vector<std::vector<NodeIndex>> edges(n);
  std::vector<std::vector<NodeIndex>> reverse(n);
  for (NodeIndex v = 0; v < n; ++v) {
    edges[v] = successors(flow.nodes[v].body);
    for (NodeIndex w : edges[v]) reverse[w].push_back(v);
  }
  // Reachable from the start.
  std::vector<bool> reachable(n, false);
  std::vector<NodeIndex> work{flow.start};
  reachable[flow.start] = true;
  while (!work.empty()) {
    const NodeIndex v = work.back();
    work.pop_back();
    for (NodeIndex w : edges[v]) {
      if (!reachable[w]) {
        reachable[w] = true;
        work.push_back(w);
      }
    }
  }
  for (NodeIndex v = 0; v < n; ++v) {
    if (!reachable[v]) {
      cfgs[v].error(fmt::format("node '{}' is unreachable from the start node '{}'",
                                flow.nodes[v].name, flow.nodes[flow.start].name));
    }
  }
  // Nodes from which the call can leave the IVR.
  std::vector<bool> exits(n, false);
  for (NodeIndex v = 0; v < n; ++v) {
    if (is_terminal(flow.nodes[v].body)) {
      exits[v] = true;
      work.push_back(v);
    }
  }
  while (!work.empty()) {
    const NodeIndex v = work.back();
    work.pop_back();
    for (NodeIndex w : reverse[v]) {
      if (!exits[w]) {
        exits[w] = true;
        work.push_back(w);
      }
    }
  }
  std::vector<bool> trapped(n, false);
  for (NodeIndex v = 0; v < n; ++v) trapped[v] = reachable[v] && !exits[v];
  for (const auto& loop : Scc(edges, trapped).cyclic()) {
    cfgs[loop.front()].error(fmt::format(
        "loop with no exit: {} (no queue, extension, transfer, voicemail, callback or hangup "
        "can be reached from it)",
        name_list(flow, loop)));
  }
  std::vector<bool> instant(n, false);
  for (NodeIndex v = 0; v < n; ++v) instant[v] = is_instant(flow.nodes[v].body);
  for (const auto& loop : Scc(edges, instant).cyclic()) {
    cfgs[loop.front()].error(fmt::format(
        "loop of nodes that never wait: {} (set, branch, caller_list and hours decide at once, "
        "so the call would spin; put a play, menu or collect in the loop)",
        name_list(flow, loop)));
  }
}

}  // namespace hotline::cc::ivr
