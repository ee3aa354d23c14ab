#include "app/sim_scenario.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "app/cc_config.hpp"
#include "app/sim_cli.hpp"
#include "support/test_support.hpp"

namespace hotline::app {
namespace {

ContactCenterConfig read_cc(const std::string& text, ConfigErrors& errors) {
  ContactCenterConfig cc;
  auto doc = parse_yaml(text, "cc.yaml", errors);
  if (doc) read_contact_center(ConfigNode::root(*doc, "cc.yaml", errors), cc);
  return cc;
}

TEST(ContactCenterConfig, ReadsQueuesAgentsAndSkillsByName) {
  ConfigErrors errors;
  auto cc = read_cc(R"(
skills: [sales, english]
acd: { max_missed_offers: 2, not_ready_reasons: [lunch] }
queues:
  sales:
    strategy: round-robin
    ring_timeout: 20s
    wrapup: 5s
    max_wait: 10m
    exit: voicemail
    skills: { sales: 3 }
    overflow: [ { after: 2m, also_offer: support } ]
    relax_skills: [ { after: 60s, by: 2 } ]
  support: { strategy: linear }
agents:
  alice: { extensions: ["1001"], skills: { sales: 7, english: 9 }, queues: { sales: 0, support: 5 } }
  team: { count: 3, extensions: ["2008"], queues: [support] }
)",
                    errors);
  ASSERT_TRUE(errors.empty()) << errors.to_string();
  ASSERT_EQ(cc.queues.size(), 2u);
  const cc::QueueConfig& sales = cc.queues[0].config;
  EXPECT_EQ(sales.name, "sales");
  EXPECT_EQ(sales.strategy, cc::Strategy::kRoundRobin);
  EXPECT_EQ(sales.ring_timeout, std::chrono::seconds(20));
  EXPECT_EQ(sales.exit_destination, "voicemail");
  ASSERT_EQ(sales.overflow.size(), 1u);
  EXPECT_EQ(sales.overflow[0].target, cc::QueueId{1});
  EXPECT_EQ(sales.overflow[0].action, cc::OverflowAction::kAlsoOffer);
  ASSERT_EQ(sales.relaxation.size(), 1u);
  EXPECT_EQ(sales.relaxation[0].reduce_by, 2);
  ASSERT_EQ(cc.queues[0].skills.size(), 1u);
  EXPECT_EQ(cc.queues[0].skills[0].skill, 0u);
  EXPECT_EQ(cc.queues[0].skills[0].min_level, 3);
  EXPECT_EQ(cc.acd.max_missed_offers, 2u);
  // The engine's own reason stays accepted.
  EXPECT_EQ(cc.acd.not_ready_reasons,
            (std::vector<std::string>{"lunch", std::string(cc::kReasonMissedOffers)}));

  ASSERT_EQ(cc.agents.size(), 4u);
  EXPECT_EQ(cc.agents[0].name, "alice");
  ASSERT_EQ(cc.agents[0].memberships.size(), 2u);
  EXPECT_EQ(cc.agents[0].memberships[1].queue, cc::QueueId{1});
  EXPECT_EQ(cc.agents[0].memberships[1].penalty, 5);
  EXPECT_EQ(cc.agents[1].name, "team-01");
  EXPECT_EQ(cc.agents[3].name, "team-03");
  EXPECT_EQ(cc.agents[3].devices, (std::vector<std::string>{"2010"}));
}

TEST(ContactCenterConfig, MisspeltNamesAreErrorsWithAHint) {
  ConfigErrors errors;
  read_cc(R"(
skills: [sales]
queues:
  sales: { strategy: roundrobin, skills: { sails: 2 }, overflow: [ { after: 1m, move_to: suport } ] }
  support: {}
agents:
  bob: { queues: { salse: 0 }, skills: { sales: 11 } }
)",
          errors);
  const std::string all = errors.to_string();
  EXPECT_NE(all.find("unknown strategy 'roundrobin' (did you mean 'round-robin'?)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("unknown skill 'sails' (did you mean 'sales'?)"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown queue 'suport' (did you mean 'support'?)"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown queue 'salse' (did you mean 'sales'?)"), std::string::npos) << all;
  EXPECT_NE(all.find("skill level must be an integer 1..10"), std::string::npos) << all;
  // Every error says where.
  for (const auto& e : errors.all()) {
    EXPECT_EQ(e.file, "cc.yaml");
    EXPECT_GT(e.line, 0) << e.to_string();
  }
}

TEST(ContactCenterConfig, ContradictionsAreErrors) {
  ConfigErrors errors;
  read_cc(R"(
queues:
  a: { max_wait: 5m, overflow: [ { after: 1m, also_offer: a }, { after: 2m } ] }
agents:
  x: { queues: [a, a] }
  x2: { count: 2, extensions: ["99"] }
)",
          errors);
  const std::string all = errors.to_string();
  EXPECT_NE(all.find("max_wait needs an 'exit'"), std::string::npos) << all;
  EXPECT_NE(all.find("cannot overflow to itself"), std::string::npos) << all;
  EXPECT_NE(all.find("exactly one of 'also_offer' or 'move_to'"), std::string::npos) << all;
  EXPECT_NE(all.find("queue 'a' listed twice"), std::string::npos) << all;
  // 99, then 100: the range runs out of digits.
  EXPECT_NE(all.find("extensions must be numbers that leave room for 2 in a row"),
            std::string::npos)
      << all;
}

constexpr const char* kErlangScenario = R"(
seed: 7
interval: 30m
queues:
  support: { strategy: longest-idle, service_level: 20s }
agents:
  agent: { count: 12, queues: [support] }
traffic:
  support: { calls_per_hour: 200, duration: 4h, handle_time: exponential 180s }
)";

TEST(SimScenario, BuildsTheScenario) {
  auto loaded = load_scenario_text(kErlangScenario, "s.yaml");
  ASSERT_TRUE(loaded.scenario) << loaded.errors.to_string();
  const sim::Scenario& s = *loaded.scenario;
  EXPECT_EQ(s.seed, 7u);
  ASSERT_EQ(s.queues.size(), 1u);
  EXPECT_EQ(s.queues[0].arrivals_per_interval, std::vector<double>(8, 100.0));
  EXPECT_EQ(s.queues[0].handle_time.kind, sim::Distribution::Kind::kExponential);
  EXPECT_EQ(s.queues[0].handle_time.mean, std::chrono::seconds(180));
  EXPECT_EQ(s.agents.size(), 12u);
  EXPECT_EQ(loaded.queue_names, std::vector<std::string>{"support"});
}

TEST(SimScenario, ShiftsApplyToAgentsAndGroups) {
  auto loaded = load_scenario_text(R"(
queues: { q: {} }
agents:
  early: { count: 2, queues: [q] }
  late: { queues: [q] }
traffic: { q: { arrivals: [10, 20, 5.5] } }
shifts:
  early: { start: 0h, end: 4h }
  late: { start: 4h }
)",
                                   "s.yaml");
  ASSERT_TRUE(loaded.scenario) << loaded.errors.to_string();
  const auto& agents = loaded.scenario->agents;
  ASSERT_EQ(agents.size(), 3u);
  EXPECT_EQ(agents[1].shift_end, std::chrono::hours(4));
  EXPECT_EQ(agents[2].shift_start, std::chrono::hours(4));
  EXPECT_EQ(loaded.scenario->queues[0].arrivals_per_interval, (std::vector<double>{10, 20, 5.5}));
}

TEST(SimScenario, BadScenariosNameTheProblem) {
  struct Case {
    const char* text;
    const char* expect;
  } cases[] = {
      {"queues: { q: {} }\ntraffic: { q: { arrivals: [1] } }\nagents: { a: { queues: [q] } "
       "}\nshift: {}\n",
       "unknown key 'shift' (did you mean 'shifts'?)"},
      {"queues: { q: {} }\ntraffic: { p: { arrivals: [1] } }\n", "traffic for unknown queue 'p'"},
      {"queues: { q: {} }\ntraffic: { q: { arrivals: [1], calls_per_hour: 3 } }\n",
       "exactly one of 'arrivals'"},
      {"queues: { q: {} }\ntraffic: { q: { arrivals: [1, -2] } }\n",
       "arrivals must be numbers >= 0"},
      {"queues: { q: {} }\ntraffic: { q: { arrivals: [1], handle_time: gaussian 3m } }\n",
       "expected 'exponential <mean>'"},
      {"queues: { q: {} }\ntraffic: { q: { arrivals: [1], patience: exponential 0s } }\n",
       "needs a duration > 0"},
      {"queues: { q: {} }\n", "the scenario has no traffic"},
      {"traffic: {}\n", "the scenario defines no queues"},
      {"queues: { q: {} }\ntraffic: { q: { arrivals: [1] } }\nagents: { a: {} }\n"
       "shifts: { a: { start: 5h, end: 2h } }\n",
       "shift end must be after its start"},
      {"queues: [\n", "s.yaml:"},
  };
  for (const Case& c : cases) {
    auto loaded = load_scenario_text(c.text, "s.yaml");
    EXPECT_FALSE(loaded.scenario) << c.text;
    EXPECT_NE(loaded.errors.to_string().find(c.expect), std::string::npos)
        << c.text << "\n got: " << loaded.errors.to_string();
  }
}

TEST(SimCommand, DeterministicForASeedAndDifferentForAnother) {
  hotline::testing::TempDir dir;
  const std::string path = (dir / "s.yaml").string();
  {
    std::ofstream(path) << kErlangScenario;
  }
  auto run = [&](std::optional<std::uint64_t> seed, std::string format) {
    std::ostringstream out, err;
    SimCommand c{path, std::move(format), "all", seed};
    EXPECT_EQ(run_sim_command(c, out, err), 0) << err.str();
    return out.str();
  };
  const std::string a = run(std::nullopt, "json");
  EXPECT_EQ(a, run(std::nullopt, "json"));
  EXPECT_NE(a, run(8, "json"));
  auto j = nlohmann::json::parse(a);
  EXPECT_EQ(j["intervals"].size(), 8u);
  EXPECT_GT(j["total"]["offered"].get<int>(), 600);  // ~800 expected
  const std::string table = run(std::nullopt, "table");
  EXPECT_NE(table.find("total"), std::string::npos);
  EXPECT_NE(table.find("agent-12"), std::string::npos);
}

TEST(SimCommand, BadOptionsAndFilesAreUsageErrors) {
  std::ostringstream out, err;
  EXPECT_EQ(run_sim_command({"/nonexistent/s.yaml", "table", "all", {}}, out, err), 2);
  EXPECT_NE(err.str().find("cannot read the scenario file"), std::string::npos);
  EXPECT_EQ(run_sim_command({"x", "xml", "all", {}}, out, err), 2);
  EXPECT_EQ(run_sim_command({"x", "csv", "everything", {}}, out, err), 2);
}

}  // namespace
}  // namespace hotline::app
