#include "wfm/adherence.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace hotline::wfm {
namespace {

constexpr int kSlotS = 900;
constexpr long long kDayS = 86400;

// Two agents; a1 works Monday 08:00-16:00 with a 15-min break at 10:00 and a 30-min
// lunch at 12:00, and Tuesday 08:00-12:00 without breaks.
ScheduleProblem problem() {
  ScheduleProblem p;
  p.slot_s = kSlotS;
  p.agents.resize(2);
  p.agents[0].id = "a1";
  p.agents[1].id = "a2";
  return p;
}

constexpr int slot(int day, int hour, int minute = 0) {
  return (day * 86400 + hour * 3600 + minute * 60) / kSlotS;
}
constexpr long long at(int day, int hour, int minute = 0) {
  return day * kDayS + hour * 3600LL + minute * 60LL;
}

std::vector<ScheduledShift> shifts() {
  ScheduledShift mon;
  mon.agent = 0;
  mon.day = 0;
  mon.start_slot = slot(0, 8);
  mon.length_slots = 8 * 4;
  mon.breaks = {{"break", slot(0, 10), 1, true}, {"lunch", slot(0, 12), 2, false}};
  ScheduledShift tue;
  tue.agent = 0;
  tue.day = 1;
  tue.start_slot = slot(1, 8);
  tue.length_slots = 4 * 4;
  return {mon, tue};
}

// a1 follows Monday exactly: ready at 8, break 10:00-10:15, lunch 12:00-12:30, out at 16.
std::vector<StateEvent> perfect_monday() {
  return {{at(0, 8), "a1", Activity::kWorking},      {at(0, 10), "a1", Activity::kAway},
          {at(0, 10, 15), "a1", Activity::kWorking}, {at(0, 12), "a1", Activity::kOffline},
          {at(0, 12, 30), "a1", Activity::kWorking}, {at(0, 16), "a1", Activity::kOffline}};
}

TEST(Adherence, ParsesAcdStateNames) {
  EXPECT_EQ(parse_activity("ready"), Activity::kWorking);
  EXPECT_EQ(parse_activity("Wrap-Up"), Activity::kWorking);
  EXPECT_EQ(parse_activity("busy"), Activity::kWorking);
  EXPECT_EQ(parse_activity("not_ready"), Activity::kAway);
  EXPECT_EQ(parse_activity("logged_out"), Activity::kOffline);
  EXPECT_FALSE(parse_activity("dancing").has_value());
}

TEST(Adherence, FollowingTheScheduleIsFullAdherence) {
  auto r = compute_adherence(problem(), {shifts()[0]}, perfect_monday());
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->days.size(), 1u);
  EXPECT_EQ(r->days[0].agent, "a1");
  EXPECT_EQ(r->days[0].scheduled_s, 8 * 3600);
  EXPECT_EQ(r->days[0].in_adherence_s, 8 * 3600);
  EXPECT_DOUBLE_EQ(r->days[0].adherence, 1.0);
  EXPECT_TRUE(r->days[0].exceptions.empty());
}

TEST(Adherence, LateLoginLongLunchAndWorkingThroughBreakAreExceptions) {
  std::vector<StateEvent> ev = {
      {at(0, 8, 10), "a1", Activity::kWorking},  // 10 min late
                                                 // works through the 10:00 break
      {at(0, 12), "a1", Activity::kAway},
      {at(0, 12, 45), "a1", Activity::kWorking},  // lunch 15 min too long
      {at(0, 16), "a1", Activity::kOffline}};
  auto r = compute_adherence(problem(), {shifts()[0]}, ev);
  ASSERT_TRUE(r) << r.error().message;
  const auto& d = r->days.at(0);
  EXPECT_EQ(d.scheduled_s, 8 * 3600);
  EXPECT_EQ(d.in_adherence_s, 8 * 3600 - (10 + 15 + 15) * 60);
  EXPECT_NEAR(d.adherence, 1.0 - 40.0 / 480.0, 1e-12);
  ASSERT_EQ(d.exceptions.size(), 3u);
  EXPECT_EQ(d.exceptions[0].from_s, at(0, 8));
  EXPECT_EQ(d.exceptions[0].to_s, at(0, 8, 10));
  EXPECT_EQ(d.exceptions[0].scheduled, "work");
  EXPECT_EQ(d.exceptions[0].actual, Activity::kOffline);
  EXPECT_EQ(d.exceptions[1].scheduled, "break");
  EXPECT_EQ(d.exceptions[1].actual, Activity::kWorking);
  EXPECT_EQ(d.exceptions[2].from_s, at(0, 12, 30));
  EXPECT_EQ(d.exceptions[2].to_s, at(0, 12, 45));
  EXPECT_EQ(d.exceptions[2].actual, Activity::kAway);
}

TEST(Adherence, GraceForgivesShortExceptionsOnly) {
  std::vector<StateEvent> ev = perfect_monday();
  ev[0].at_s = at(0, 8, 2);    // 2 minutes late: forgiven
  ev[4].at_s = at(0, 12, 40);  // 10 minutes late from lunch: not
  AdherenceOptions opt;
  opt.grace_s = 180;
  auto r = compute_adherence(problem(), {shifts()[0]}, ev, opt);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->days[0].exceptions.size(), 1u);
  EXPECT_EQ(r->days[0].in_adherence_s, 8 * 3600 - 600);
}

TEST(Adherence, PerDayAndStateBeforeTheWeekCarriesIn) {
  // Logged in (ready) since before the week and never out: Monday's breaks are
  // missed, Tuesday is fully adherent.
  std::vector<StateEvent> ev = {{-3600, "a1", Activity::kWorking}};
  auto r = compute_adherence(problem(), shifts(), ev);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->days.size(), 2u);
  EXPECT_EQ(r->days[0].day, 0);
  EXPECT_EQ(r->days[0].in_adherence_s, 8 * 3600 - 45 * 60);
  EXPECT_EQ(r->days[1].day, 1);
  EXPECT_DOUBLE_EQ(r->days[1].adherence, 1.0);
  EXPECT_EQ(r->scheduled_s, 12 * 3600);
  EXPECT_EQ(r->in_adherence_s, 12 * 3600 - 45 * 60);
}

TEST(Adherence, NoEventsMeansOfflineAndUnsortedEventsAreSorted) {
  auto none = compute_adherence(problem(), shifts(), {});
  ASSERT_TRUE(none);
  EXPECT_EQ(none->in_adherence_s, 45 * 60) << "only the breaks are kept while offline";

  auto ev = perfect_monday();
  std::reverse(ev.begin(), ev.end());
  ev.push_back({at(0, 9), "nobody", Activity::kWorking});
  auto r = compute_adherence(problem(), {shifts()[0]}, ev);
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->days[0].adherence, 1.0);
  EXPECT_EQ(r->unknown_agents, std::vector<std::string>{"nobody"});
}

TEST(Adherence, RejectsBadInput) {
  auto s = shifts();
  s[0].agent = 7;
  auto r = compute_adherence(problem(), s, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("agent index 7"), std::string::npos);
  AdherenceOptions opt;
  opt.grace_s = -1;
  EXPECT_FALSE(compute_adherence(problem(), shifts(), {}, opt));
}

}  // namespace
}  // namespace hotline::wfm
