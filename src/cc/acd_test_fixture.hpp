// Test-only fixture shared by the Acd behaviour tests: a Harness plus helpers to
// build queues and agents and to drive calls. Never linked into the library.
//
// Thread-safety: single-threaded, like the Acd.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "cc/acd.hpp"
#include "cc/test_harness.hpp"

namespace hotline::cc::testing {

using std::chrono::seconds;

class AcdTest : public ::testing::Test {
 protected:
  QueueId queue(QueueConfig c) {
    auto id = h.acd.add_queue(std::move(c));
    EXPECT_TRUE(id.has_value()) << id.error().describe();
    return *id;
  }
  QueueConfig basic(std::string name, Strategy s = Strategy::kLinear) {
    QueueConfig c;
    c.name = std::move(name);
    c.strategy = s;
    c.ring_timeout = seconds(15);
    return c;
  }
  AgentId agent(std::string name, std::vector<Membership> m, std::vector<SkillLevel> skills = {},
                bool ready = true) {
    AgentConfig c;
    c.name = name;
    c.devices = {"sip:" + name + "@hotline"};
    c.memberships = std::move(m);
    c.skills = std::move(skills);
    auto id = h.acd.add_agent(std::move(c));
    EXPECT_TRUE(id.has_value()) << id.error().describe();
    if (ready) {
      EXPECT_TRUE(h.acd.set_presence(*id, Presence::kReady).has_value());
    }
    h.pump();
    return *id;
  }
  InteractionId arrive(QueueId q, int priority = 0, std::vector<SkillRequirement> skills = {}) {
    InteractionSpec s;
    s.queue = q;
    s.priority = priority;
    s.skills = std::move(skills);
    s.caller = "+15550100";
    auto id = h.acd.arrive(std::move(s));
    EXPECT_TRUE(id.has_value()) << id.error().describe();
    h.pump();
    return *id;
  }
  AgentState state(AgentId a) { return h.acd.agent_state(a).value(); }
  // The agent the most recent offer went to.
  std::optional<AgentId> last_offer() {
    auto offers = h.commands_of<OfferToAgent>();
    if (offers.empty()) return std::nullopt;
    return offers.back().agent;
  }
  void check() {
    auto ok = h.acd.self_check();
    EXPECT_TRUE(ok.has_value()) << ok.error().describe();
  }

  Harness h;
};

// Takes one call through answer and end, returning the agent it was offered to.
inline AgentId take_call(Harness& h, QueueId q, Duration talk) {
  InteractionSpec s;
  s.queue = q;
  const InteractionId i = *h.acd.arrive(s);
  h.pump();
  const AgentId who = h.commands_of<OfferToAgent>().back().agent;
  EXPECT_TRUE(h.acd.offer_answered(i, who).has_value());
  h.advance(talk);
  EXPECT_TRUE(h.acd.conversation_ended(i).has_value());
  h.pump();
  return who;
}

}  // namespace hotline::cc::testing
