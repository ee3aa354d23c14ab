#include "wfm/erlang_a.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "wfm/test_csv_reader.hpp"

namespace hotline::wfm {
namespace {

using testing::CsvTable;
using testing::expect_probability;
using testing::expect_relative;

TEST(ErlangA, ReproducesEveryReferenceRow) {
  const auto table = CsvTable::load(testing::wfm_testdata("erlang_a.csv"));
  ASSERT_GT(table.size(), 900u);
  for (const auto& row : table.rows()) {
    const TrafficLoad load{row.num("calls"), row.num("interval_s"), row.num("aht_s")};
    const int agents = static_cast<int>(row.num("agents"));
    const std::string what =
        row.str("case_id") + " N=" + row.str("agents") + " t=" + row.str("target_s") + " ";
    auto r = erlang_a(load, agents, row.num("patience_s"), row.num("target_s"));
    ASSERT_TRUE(r.has_value()) << what << r.error().describe();
    expect_probability(row.num("p_wait"), r->p_wait, what + "p_wait");
    expect_probability(row.num("p_abandon"), r->p_abandon, what + "p_abandon");
    expect_relative(row.num("asa_all_s"), r->asa_all_s, what + "asa_all_s");
    expect_relative(row.num("asa_answered_s"), r->asa_answered_s, what + "asa_answered_s");
    expect_relative(row.num("avg_time_to_abandon_s"), r->avg_time_to_abandon_s,
                    what + "avg_time_to_abandon_s");
    expect_probability(row.num("occupancy"), r->occupancy, what + "occupancy");
    expect_relative(row.num("avg_queue_len"), r->avg_queue_len, what + "avg_queue_len");
    expect_probability(row.num("sl_offered"), r->sl_offered, what + "sl_offered");
    expect_probability(row.num("sl_answered"), r->sl_answered, what + "sl_answered");
    expect_probability(row.num("p_abandon_within_t"), r->p_abandon_within_t,
                       what + "p_abandon_within_t");
    expect_probability(row.num("sl_abandon_in_numerator"), r->sl_abandon_in_numerator,
                       what + "sl_abandon_in_numerator");
    expect_probability(row.num("p_abandon_within_5s"), r->p_abandon_within_5s,
                       what + "p_abandon_within_5s");
    expect_probability(row.num("sl_excl_short_abandon_5s"), r->sl_excl_short_abandon_5s,
                       what + "sl_excl_short_abandon_5s");
    if (::testing::Test::HasFailure()) return;  // one bad row is enough to read
  }
}

TEST(ErlangA, PyworkforceRegression) {
  auto r = erlang_a({100, 1800, 180}, 14, 300, 20);
  ASSERT_TRUE(r.has_value());
  EXPECT_NEAR(r->p_wait, 0.14526, 5e-6);
  EXPECT_NEAR(r->p_abandon, 0.013984, 5e-7);
  EXPECT_NEAR(r->occupancy, 0.704297, 5e-7);
  EXPECT_NEAR(r->asa_all_s / 60, 0.069919, 5e-7);
  EXPECT_NEAR(r->sl_offered, 0.916792, 5e-7);
}

TEST(ErlangA, LongPatienceApproachesErlangC) {
  const TrafficLoad load{100, 1800, 180};
  for (int n : {11, 13, 16}) {
    auto c = erlang_c(load, n, 20).value();
    auto a = erlang_a(load, n, 1e7, 20).value();
    EXPECT_NEAR(a.p_wait, c.p_wait, 1e-4 * c.p_wait) << n;
    EXPECT_NEAR(a.sl_offered, c.service_level, 1e-4) << n;
    EXPECT_NEAR(a.asa_answered_s, c.asa_s, 1e-3 * c.asa_s) << n;
    EXPECT_LT(a.p_abandon, 1e-4) << n;
    auto inf = erlang_a(load, n, INFINITY, 20).value();
    EXPECT_DOUBLE_EQ(inf.p_wait, c.p_wait);
    EXPECT_DOUBLE_EQ(inf.sl_offered, c.service_level);
    EXPECT_EQ(inf.p_abandon, 0.0);
  }
}

TEST(ErlangA, MoreAgentsNeverWorse) {
  const TrafficLoad load{900, 1800, 240};  // 120 Erlangs, overload at low N
  double prev_sl = -1, prev_ab = 2;
  for (int n = 80; n < 150; ++n) {
    auto r = erlang_a(load, n, 120, 20);
    ASSERT_TRUE(r.has_value());
    EXPECT_GE(r->sl_offered, prev_sl) << n;
    EXPECT_LE(r->p_abandon, prev_ab) << n;
    prev_sl = r->sl_offered;
    prev_ab = r->p_abandon;
  }
}

TEST(ErlangA, MinAgentsIsTheSmallestMeetingTheTarget) {
  const TrafficLoad load{300, 1800, 200};
  ErlangATarget t;
  t.sl_offered = 0.8;
  t.target_s = 20;
  t.max_p_abandon = 0.05;
  const int n = erlang_a_min_agents(load, 90, t).value();
  auto at = erlang_a(load, n, 90, 20).value();
  auto below = erlang_a(load, n - 1, 90, 20).value();
  EXPECT_GE(at.sl_offered, 0.8);
  EXPECT_LE(at.p_abandon, 0.05);
  EXPECT_TRUE(below.sl_offered < 0.8 || below.p_abandon > 0.05);
  // Abandonment relieves the queue: never more agents than Erlang C asks for.
  StaffingTarget c;
  c.service_level = 0.8;
  c.target_s = 20;
  EXPECT_LE(n, erlang_c_min_agents(load, c).value());
}

TEST(ErlangA, TinyTrafficWithManyAgentsStaysFinite) {
  auto r = erlang_a({1, 3600, 3.6}, 400, 60, 20);  // 0.001 Erlangs, 400 agents
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(r->p_wait, 0.0);
  EXPECT_EQ(r->sl_offered, 1.0);
  EXPECT_NEAR(r->occupancy, 0.001 / 400, 1e-15);
}

TEST(ErlangA, BadInputIsAnErrorValue) {
  EXPECT_FALSE(erlang_a({100, 1800, 180}, 0, 60, 20).has_value());
  EXPECT_FALSE(erlang_a({100, 1800, 180}, 10, 0, 20).has_value());
  EXPECT_FALSE(erlang_a({100, 1800, -3}, 10, 60, 20).has_value());
  EXPECT_FALSE(erlang_a({100, 1800, 180}, 10, 60, NAN).has_value());
  EXPECT_FALSE(erlang_a_min_agents({100, 1800, 180}, 60, ErlangATarget{}).has_value());
}

}  // namespace
}  // namespace hotline::wfm
