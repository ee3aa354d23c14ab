// Reads the contact-center part of a configuration (skills, queues, agents, ACD
// options) into the cc engine's types. One reader serves the server's hotline.yaml
// and the simulator's scenario files, so a planner simulates exactly the queues and
// agents the live server runs.
//
//   skills: [sales, support, english, spanish]
//   acd: { max_missed_offers: 3, not_ready_reasons: [break, lunch, training] }
//   queues:
//     sales:
//       strategy: longest-idle
//       ring_timeout: 15s
//       wrapup: 10s
//       skills: { sales: 3 }              # required of every call in the queue
//       overflow: [ { after: 120s, also_offer: support } ]
//   agents:
//     alice: { extensions: ["1001"], skills: { sales: 7 }, queues: { sales: 0 } }
//
// Names (queues, skills) resolve to the engine's integer ids by position; every
// error carries file:line:col and a "did you mean" hint for a misspelt name.
//
// Thread-safety: plain functions over values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cc/acd.hpp"
#include "cc/agent.hpp"
#include "cc/interaction.hpp"
#include "cc/queue.hpp"
#include "common/config_reader.hpp"

namespace hotline::app {

struct CcQueue {
  cc::QueueConfig config;                    // config.name is the queue's name
  std::vector<cc::SkillRequirement> skills;  // required of every interaction here
};

struct ContactCenterConfig {
  std::vector<std::string> skills;  // index = cc::SkillId
  std::vector<CcQueue> queues;      // index = cc::QueueId
  std::vector<cc::AgentConfig> agents;
  cc::AcdOptions acd;

  // Index of the queue or skill with this name, if any.
  std::optional<cc::QueueId> queue_id(std::string_view name) const;
  std::optional<cc::SkillId> skill_id(std::string_view name) const;
};

// Reads `skills`, `acd`, `queues` and `agents` from `root` (the keys that are there;
// the caller checks the rest of root's keys). Errors go to root's ConfigErrors.
//
// Agents may be written once for a group: `count: 20` makes agents `<name>-01` …
// `<name>-20` with the same settings (extensions, if given, are then the first of a
// consecutive range: `extensions: ["2001"]` → 2001 … 2020).
void read_contact_center(const ConfigNode& root, ContactCenterConfig& out);

}  // namespace hotline::app
