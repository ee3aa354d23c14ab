#include "wfm/erlang_c.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "wfm/test_csv_reader.hpp"

namespace hotline::wfm {
namespace {

using testing::CsvTable;
using testing::expect_probability;
using testing::expect_relative;

TEST(ErlangC, ReproducesEveryReferenceRow) {
  const auto table = CsvTable::load(testing::wfm_testdata("erlang_c.csv"));
  ASSERT_GT(table.size(), 2000u);
  for (const auto& row : table.rows()) {
    const TrafficLoad load{row.num("calls"), row.num("interval_s"), row.num("aht_s")};
    const int agents = static_cast<int>(row.num("agents"));
    const std::string what = row.str("case_id") + " N=" + row.str("agents");
    auto r = erlang_c(load, agents, row.num("target_s"));
    ASSERT_TRUE(r.has_value()) << what << ": " << r.error().describe();
    expect_relative(row.num("traffic_erlangs"), load.traffic_erlangs(), what + " traffic");
    expect_probability(row.num("p_wait"), r->p_wait, what + " p_wait");
    expect_probability(row.num("service_level"), r->service_level, what + " service_level");
    expect_relative(row.num("asa_s"), r->asa_s, what + " asa_s");
    expect_probability(row.num("occupancy"), r->occupancy, what + " occupancy");
  }
}

TEST(ErlangC, StaffingReproducesEveryReferenceRow) {
  const auto table = CsvTable::load(testing::wfm_testdata("erlang_c_staffing.csv"));
  ASSERT_GT(table.size(), 100u);
  for (const auto& row : table.rows()) {
    const TrafficLoad load{row.num("calls"), row.num("interval_s"), row.num("aht_s")};
    StaffingTarget target;
    target.service_level = row.num("sl_target");
    target.target_s = row.num("target_s");
    auto n = erlang_c_min_agents(load, target);
    ASSERT_TRUE(n.has_value()) << row.str("case_id") << ": " << n.error().describe();
    EXPECT_EQ(*n, static_cast<int>(row.num("min_agents"))) << row.str("case_id");
    auto at = erlang_c(load, *n, target.target_s);
    ASSERT_TRUE(at.has_value());
    expect_probability(row.num("sl_at_min"), at->service_level, row.str("case_id"));
    if (!row.empty("sl_at_min_minus_1")) {
      auto below = erlang_c(load, *n - 1, target.target_s);
      ASSERT_TRUE(below.has_value());
      expect_probability(row.num("sl_at_min_minus_1"), below->service_level, row.str("case_id"));
    }
  }
}

TEST(ErlangC, PublishedWorkedExample) {
  // pyworkforce / R ErlangC: 100 calls per 30 min, AHT 180 s, 14 agents, 20 s.
  auto r = erlang_c({100, 1800, 180}, 14, 20);
  ASSERT_TRUE(r.has_value());
  EXPECT_NEAR(r->service_level, 0.8883500191794669, 1e-12);
  EXPECT_NEAR(r->p_wait, 0.1741319335950498, 1e-12);
  EXPECT_NEAR(r->occupancy, 0.7142857142857143, 1e-12);
}

TEST(ErlangC, MoreAgentsNeverWorse) {
  for (double calls : {3.0, 120.0, 5000.0, 40000.0}) {
    const TrafficLoad load{calls, 1800, 240};
    const int first = static_cast<int>(std::floor(load.traffic_erlangs())) + 1;
    double prev_sl = -1, prev_asa = INFINITY, prev_pw = 2;
    for (int n = first; n < first + 60; ++n) {
      auto r = erlang_c(load, n, 20);
      ASSERT_TRUE(r.has_value());
      EXPECT_GE(r->service_level, prev_sl) << calls << " N=" << n;
      EXPECT_LE(r->asa_s, prev_asa) << calls << " N=" << n;
      EXPECT_LE(r->p_wait, prev_pw) << calls << " N=" << n;
      prev_sl = r->service_level;
      prev_asa = r->asa_s;
      prev_pw = r->p_wait;
    }
  }
}

TEST(ErlangC, StableForThousandsOfErlangs) {
  // 5000 Erlangs: A^N/N! would overflow long before N = 5000.
  auto r = erlang_c({100000, 3600, 180}, 5100, 20);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(std::isfinite(r->p_wait));
  EXPECT_GT(r->p_wait, 0.0);
  EXPECT_LT(r->p_wait, 1.0);
  EXPECT_GT(r->service_level, 0.9);
}

TEST(ErlangC, StaffingHonoursAsaAndOccupancyTargets) {
  const TrafficLoad load{100, 1800, 180};  // 10 Erlangs
  StaffingTarget occ;
  occ.max_occupancy = 0.8;
  EXPECT_EQ(erlang_c_min_agents(load, occ).value(), 13);  // 10/13 = 0.77 <= 0.8 < 10/12
  StaffingTarget asa;
  asa.max_asa_s = 15;
  const int n = erlang_c_min_agents(load, asa).value();
  EXPECT_LE(erlang_c(load, n, 0)->asa_s, 15.0);
  EXPECT_GT(erlang_c(load, n - 1, 0)->asa_s, 15.0);
  StaffingTarget both = asa;
  both.max_occupancy = 0.5;
  EXPECT_EQ(erlang_c_min_agents(load, both).value(), 20);
}

TEST(ErlangC, NoCallsNeedNoAgents) {
  StaffingTarget t;
  t.service_level = 0.8;
  EXPECT_EQ(erlang_c_min_agents({0, 1800, 180}, t).value(), 0);
}

TEST(ErlangC, BadInputIsAnErrorValue) {
  EXPECT_FALSE(erlang_c({-1, 1800, 180}, 5, 20).has_value());
  EXPECT_FALSE(erlang_c({10, 1800, 0}, 5, 20).has_value());
  EXPECT_FALSE(erlang_c({10, 0, 180}, 5, 20).has_value());
  EXPECT_FALSE(erlang_c({10, 1800, NAN}, 5, 20).has_value());
  EXPECT_FALSE(erlang_c({10, 1800, 180}, 5, -1).has_value());
  // 100 calls × 180 s / 1800 s = 10 Erlangs: 10 agents are unstable.
  auto unstable = erlang_c({100, 1800, 180}, 10, 20);
  ASSERT_FALSE(unstable.has_value());
  EXPECT_NE(unstable.error().message.find("unstable"), std::string::npos);
  StaffingTarget impossible;
  impossible.service_level = 1.0;
  EXPECT_EQ(erlang_c_min_agents({100, 1800, 180}, impossible).error().code,
            ErrorCode::kInvalidArgument);
  StaffingTarget capped;
  capped.service_level = 0.99;
  capped.max_agents = 11;
  EXPECT_EQ(erlang_c_min_agents({100, 1800, 180}, capped).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(erlang_c_min_agents({100, 1800, 180}, StaffingTarget{}).has_value());
}

}  // namespace
}  // namespace hotline::wfm
