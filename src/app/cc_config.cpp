#include "app/cc_config.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace hotline::app {
namespace {

template <typename T>
std::optional<std::uint32_t> index_of(const std::vector<T>& items, std::string_view name,
                                      auto name_of) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (name_of(items[i]) == name) return static_cast<std::uint32_t>(i);
  }
  return std::nullopt;
}

// "unknown queue 'salse' (did you mean 'sales'?)"
std::string unknown_name(std::string_view what, std::string_view name,
                         const std::vector<std::string>& known) {
  std::vector<std::string_view> views(known.begin(), known.end());
  if (auto near = closest_match(name, views)) {
    return fmt::format("unknown {} '{}' (did you mean '{}'?)", what, name, *near);
  }
  if (known.empty()) return fmt::format("unknown {} '{}' (none is defined)", what, name);
  return fmt::format("unknown {} '{}'", what, name);
}

// A name: level map ({ sales: 5 }) of declared skills.
std::vector<std::pair<cc::SkillId, int>> read_skill_levels(const ConfigNode& node,
                                                           const ContactCenterConfig& cc) {
  std::vector<std::pair<cc::SkillId, int>> out;
  if (!node.defined() || !node.expect_map()) return out;
  for (const auto& [name, value] : node.entries()) {
    auto id = cc.skill_id(name);
    if (!id) {
      value.error(unknown_name("skill", name, cc.skills));
      continue;
    }
    std::int64_t level = cc::kMinSkillLevel;
    auto text = value.as_string();
    char* end = nullptr;
    const long parsed = text ? std::strtol(text->c_str(), &end, 10) : 0;
    if (!text || text->empty() || *end != '\0' || parsed < cc::kMinSkillLevel ||
        parsed > cc::kMaxSkillLevel) {
      value.error(fmt::format("skill level must be an integer {}..{}", cc::kMinSkillLevel,
                              cc::kMaxSkillLevel));
      continue;
    }
    level = parsed;
    out.emplace_back(*id, static_cast<int>(level));
  }
  return out;
}

std::vector<std::string> queue_names(const ContactCenterConfig& cc) {
  std::vector<std::string> names;
  for (const auto& q : cc.queues) names.push_back(q.config.name);
  return names;
}

void read_queue_body(const ConfigNode& node, ContactCenterConfig& cc, CcQueue& q) {
  if (!node.expect_keys({"strategy", "ring_timeout", "wrapup", "priority", "max_length", "max_wait",
                         "exit", "service_level", "announce_every", "music_on_hold", "skills",
                         "overflow", "relax_skills"})) {
    return;
  }
  cc::QueueConfig& c = q.config;
  std::string strategy;
  if (node.read_string("strategy", strategy)) {
    if (auto s = cc::parse_strategy(strategy)) {
      c.strategy = *s;
    } else {
      std::vector<std::string_view> names;
      for (cc::Strategy each : cc::kAllStrategies) names.push_back(cc::to_string(each));
      node.child("strategy").error(ConfigNode::unknown_choice_message("strategy", strategy, names));
    }
  }
  const Duration week = cc::kMaxConfigDuration;
  node.read_duration("ring_timeout", c.ring_timeout, std::chrono::seconds(1), week);
  node.read_duration("wrapup", c.wrapup, Duration::zero(), week);
  std::int64_t n = c.priority;
  if (node.read_int("priority", n, 1, cc::kMaxQueuePriority)) c.priority = static_cast<int>(n);
  n = c.max_length;
  if (node.read_int("max_length", n, 0, 1'000'000)) c.max_length = static_cast<std::uint32_t>(n);
  node.read_duration("max_wait", c.max_wait, Duration::zero(), week);
  node.read_string("exit", c.exit_destination);
  if (c.max_wait > Duration::zero() && c.exit_destination.empty()) {
    node.child("max_wait").error("max_wait needs an 'exit' (where a caller goes after it)");
  }
  node.read_duration("service_level", c.service_level_threshold, Duration::zero(), week);
  node.read_duration("announce_every", c.announce_period, Duration::zero(), week);
  node.read_string("music_on_hold", c.music_on_hold);
  for (auto [skill, level] : read_skill_levels(node.child("skills"), cc)) {
    q.skills.push_back({skill, level});
  }

  const auto names = queue_names(cc);
  for (const ConfigNode& rule : node.child("overflow").items()) {
    if (!rule.expect_keys({"after", "also_offer", "move_to"})) continue;
    cc::OverflowRule r;
    if (!rule.read_duration("after", r.after, Duration::zero(), week)) {
      if (!rule.has("after")) rule.error("overflow rule needs 'after'");
      continue;
    }
    const bool also = rule.has("also_offer");
    const bool move = rule.has("move_to");
    if (also == move) {
      rule.error("overflow rule needs exactly one of 'also_offer' or 'move_to'");
      continue;
    }
    std::string target;
    rule.read_string(also ? "also_offer" : "move_to", target);
    r.action = also ? cc::OverflowAction::kAlsoOffer : cc::OverflowAction::kMoveTo;
    auto id = cc.queue_id(target);
    if (!id) {
      rule.child(also ? "also_offer" : "move_to").error(unknown_name("queue", target, names));
      continue;
    }
    if (id->value == static_cast<std::uint32_t>(&q - cc.queues.data())) {
      rule.error("a queue cannot overflow to itself");
      continue;
    }
    r.target = *id;
    c.overflow.push_back(r);
  }
  for (const ConfigNode& rule : node.child("relax_skills").items()) {
    if (!rule.expect_keys({"after", "by"})) continue;
    cc::SkillRelaxation r;
    if (!rule.read_duration("after", r.after, Duration::zero(), week)) {
      if (!rule.has("after")) rule.error("relax_skills step needs 'after'");
      continue;
    }
    std::int64_t by = r.reduce_by;
    if (rule.read_int("by", by, 1, cc::kMaxSkillLevel)) r.reduce_by = static_cast<int>(by);
    c.relaxation.push_back(r);
  }
  if (auto st = cc::validate(c, cc.queues.size()); !st) node.error(st.error().message);
}

// "alice-07", and the 7th extension of a range starting at "2001".
std::string nth_name(const std::string& base, int i, int count) {
  if (count <= 1) return base;
  const int width = count >= 100 ? (count >= 1000 ? 4 : 3) : 2;
  return fmt::format("{}-{:0{}}", base, i + 1, width);
}

bool nth_extension(const std::string& first, int i, std::string& out) {
  if (first.empty() || !std::all_of(first.begin(), first.end(), ::isdigit)) return false;
  const unsigned long long start = std::stoull(first);
  out = fmt::format("{:0{}}", start + static_cast<unsigned>(i), first.size());
  return out.size() == first.size();
}

void read_agent(const std::string& name, const ConfigNode& node, ContactCenterConfig& cc) {
  if (!node.expect_keys({"extensions", "skills", "queues", "capacity", "count"})) return;
  cc::AgentConfig a;
  node.read_string_list("extensions", a.devices);
  for (auto [skill, level] : read_skill_levels(node.child("skills"), cc)) {
    a.skills.push_back({skill, level});
  }
  const auto names = queue_names(cc);
  const ConfigNode queues = node.child("queues");
  auto add_membership = [&](const std::string& queue, int penalty, const ConfigNode& at) {
    auto id = cc.queue_id(queue);
    if (!id) {
      at.error(unknown_name("queue", queue, names));
      return;
    }
    for (const auto& m : a.memberships) {
      if (m.queue == *id) {
        at.error(fmt::format("queue '{}' listed twice", queue));
        return;
      }
    }
    a.memberships.push_back({*id, penalty});
  };
  if (queues.defined() && queues.yaml().IsSequence()) {  // [sales, support]: penalty 0
    for (const ConfigNode& item : queues.items()) {
      if (auto q = item.as_string()) add_membership(*q, 0, item);
    }
  } else if (queues.defined() && queues.expect_map()) {  // { sales: 0, support: 2 }
    for (const auto& [queue, value] : queues.entries()) {
      auto text = value.as_string();
      char* end = nullptr;
      const long p = text ? std::strtol(text->c_str(), &end, 10) : -1;
      if (!text || text->empty() || *end != '\0' || p < 0 || p > cc::kMaxPenalty) {
        value.error(fmt::format("penalty must be an integer 0..{}", cc::kMaxPenalty));
        continue;
      }
      add_membership(queue, static_cast<int>(p), value);
    }
  }
  const ConfigNode capacity = node.child("capacity");
  if (capacity.defined() && capacity.expect_keys({"voice", "chat", "email"})) {
    const std::pair<std::string_view, cc::Channel> channels[] = {{"voice", cc::Channel::kVoice},
                                                                 {"chat", cc::Channel::kChat},
                                                                 {"email", cc::Channel::kEmail}};
    for (auto [key, channel] : channels) {
      std::int64_t v = a.capacity[static_cast<std::size_t>(channel)];
      if (capacity.read_int(key, v, 0, 100))
        a.capacity[static_cast<std::size_t>(channel)] = static_cast<int>(v);
    }
  }
  std::int64_t count = 1;
  node.read_int("count", count, 1, 10'000);
  for (int i = 0; i < count; ++i) {
    cc::AgentConfig each = a;
    each.name = nth_name(name, i, static_cast<int>(count));
    if (count > 1) {
      for (std::string& device : each.devices) {
        std::string ext;
        if (!nth_extension(device, i, ext)) {
          node.child("extensions")
              .error(fmt::format("with 'count', extensions must be numbers that leave room for "
                                 "{} in a row ('{}' does not)",
                                 count, device));
          return;
        }
        device = ext;
      }
    }
    if (index_of(cc.agents, each.name,
                 [](const cc::AgentConfig& x) -> const std::string& { return x.name; })) {
      node.error(fmt::format("agent '{}' is defined twice", each.name));
      return;
    }
    if (auto st = cc::validate(each, cc.queues.size()); !st) {
      node.error(st.error().message);
      return;
    }
    cc.agents.push_back(std::move(each));
  }
}

}  // namespace

std::optional<cc::QueueId> ContactCenterConfig::queue_id(std::string_view name) const {
  auto i =
      index_of(queues, name, [](const CcQueue& q) -> const std::string& { return q.config.name; });
  if (!i) return std::nullopt;
  return cc::QueueId{*i};
}

std::optional<cc::SkillId> ContactCenterConfig::skill_id(std::string_view name) const {
  auto i = index_of(skills, name, [](const std::string& s) -> const std::string& { return s; });
  if (!i) return std::nullopt;
  return cc::SkillId{*i};
}

void read_contact_center(const ConfigNode& root, ContactCenterConfig& out) {
  std::vector<std::string> skills;
  if (root.read_string_list("skills", skills)) {
    for (std::size_t i = 0; i < skills.size(); ++i) {
      if (std::find(skills.begin(), skills.begin() + static_cast<std::ptrdiff_t>(i), skills[i]) !=
          skills.begin() + static_cast<std::ptrdiff_t>(i)) {
        root.child("skills").error(fmt::format("skill '{}' is listed twice", skills[i]));
        continue;
      }
      out.skills.push_back(skills[i]);
    }
  }

  const ConfigNode acd = root.child("acd");
  if (acd.defined() && acd.expect_keys({"max_missed_offers", "not_ready_reasons",
                                        "default_handle_time", "max_interactions"})) {
    std::int64_t n = out.acd.max_missed_offers;
    if (acd.read_int("max_missed_offers", n, 0, 1000)) {
      out.acd.max_missed_offers = static_cast<std::uint32_t>(n);
    }
    if (acd.read_string_list("not_ready_reasons", out.acd.not_ready_reasons)) {
      // The engine's own reason stays accepted whatever the list says.
      if (std::find(out.acd.not_ready_reasons.begin(), out.acd.not_ready_reasons.end(),
                    cc::kReasonMissedOffers) == out.acd.not_ready_reasons.end()) {
        out.acd.not_ready_reasons.emplace_back(cc::kReasonMissedOffers);
      }
    }
    acd.read_duration("default_handle_time", out.acd.default_handle_time, std::chrono::seconds(1),
                      std::chrono::hours(24));
    n = static_cast<std::int64_t>(out.acd.max_interactions);
    if (acd.read_int("max_interactions", n, 1, 100'000'000)) {
      out.acd.max_interactions = static_cast<std::size_t>(n);
    }
  }

  // Queues: names first, so overflow rules and memberships may name any queue.
  const ConfigNode queues = root.child("queues");
  std::vector<std::pair<std::string, ConfigNode>> queue_nodes;
  if (queues.defined() && queues.expect_map()) queue_nodes = queues.entries();
  for (const auto& [name, node] : queue_nodes) {
    CcQueue q;
    q.config.name = name;
    out.queues.push_back(std::move(q));
  }
  for (std::size_t i = 0; i < queue_nodes.size(); ++i) {
    const ConfigNode& node = queue_nodes[i].second;
    if (node.defined()) read_queue_body(node, out, out.queues[i]);
  }

  const ConfigNode agents = root.child("agents");
  if (agents.defined() && agents.expect_map()) {
    for (const auto& [name, node] : agents.entries()) read_agent(name, node, out);
  }
}

}  // namespace hotline::app
