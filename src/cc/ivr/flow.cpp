#include "cc/ivr/flow.hpp"

#include <algorithm>

namespace hotline::cc::ivr {

namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};

void add(std::vector<NodeIndex>& out, NodeIndex n) {
  if (n == kNoNode) return;
  if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
}

}  // namespace

bool NumberList::matches(std::string_view caller) const {
  if (caller.empty()) return false;
  for (const auto& n : numbers) {
    if (n == caller) return true;
  }
  for (const auto& p : prefixes) {
    if (caller.starts_with(p)) return true;
  }
  return false;
}

std::string_view node_type_name(const NodeBody& body) {
  static constexpr std::string_view kNames[] = {
      "play", "menu",  "collect",   "hours",    "caller_list", "branch",   "http",
      "set",  "queue", "extension", "transfer", "voicemail",   "callback", "hangup"};
  static_assert(std::size(kNames) == std::variant_size_v<NodeBody>);
  return kNames[body.index()];
}

bool is_terminal(const NodeBody& body) {
  return std::holds_alternative<QueueNode>(body) || std::holds_alternative<ExtensionNode>(body) ||
         std::holds_alternative<TransferNode>(body) ||
         std::holds_alternative<VoicemailNode>(body) ||
         std::holds_alternative<CallbackNode>(body) || std::holds_alternative<HangupNode>(body);
}

bool is_instant(const NodeBody& body) {
  return std::holds_alternative<SetNode>(body) || std::holds_alternative<BranchNode>(body) ||
         std::holds_alternative<CallerListNode>(body) || std::holds_alternative<HoursNode>(body);
}

std::vector<NodeIndex> successors(const NodeBody& body) {
  std::vector<NodeIndex> out;
  std::visit(Overloaded{
                 [&](const PlayNode& n) { add(out, n.next); },
                 [&](const MenuNode& n) {
                   for (const auto& [key, target] : n.choices) add(out, target);
                   add(out, n.fallback);
                 },
                 [&](const CollectNode& n) {
                   add(out, n.next);
                   add(out, n.fallback);
                 },
                 [&](const HoursNode& n) {
                   add(out, n.open);
                   add(out, n.closed);
                   add(out, n.holiday);
                 },
                 [&](const CallerListNode& n) {
                   for (const auto& c : n.cases) add(out, c.second);
                   add(out, n.otherwise);
                 },
                 [&](const BranchNode& n) {
                   for (const auto& c : n.cases) add(out, c.next);
                   add(out, n.otherwise);
                 },
                 [&](const HttpNode& n) {
                   add(out, n.next);
                   add(out, n.failure);
                 },
                 [&](const SetNode& n) { add(out, n.next); },
                 [&](const CallbackNode& n) { add(out, n.fallback); },
                 [&](const auto&) {},
             },
             body);
  return out;
}

NodeIndex Flow::find(std::string_view node_name) const {
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].name == node_name) return static_cast<NodeIndex>(i);
  }
  return kNoNode;
}

std::shared_ptr<const Flow> FlowSet::find(std::string_view name) const {
  auto it = flows.find(name);
  return it == flows.end() ? nullptr : it->second;
}

}  // namespace hotline::cc::ivr
