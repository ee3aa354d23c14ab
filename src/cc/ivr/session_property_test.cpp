// Random event sequences against the demo flow: whatever the switch and the caller
// do, in any order, a session never crashes and is never left stranded — after
// every input it is finished or waits for a prompt, a timer or an HTTP reply
// (session.hpp, invariant 1), with at most one of each outstanding (invariant 2).
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "cc/ivr/session.hpp"
#include "cc/ivr/test_driver.hpp"
#include "support/test_support.hpp"

namespace hotline::cc::ivr {
namespace {

using testing::Driver;

void check_invariants(Driver& d, std::uint64_t seed, int step) {
  SCOPED_TRACE(::testing::Message() << "seed " << seed << " step " << step);
  const Session& s = *d.session;
  if (s.finished()) return;
  ASSERT_TRUE(s.waiting()) << "session stranded in node " << s.current_node();
  // The driver's view of what is outstanding agrees with the session's.
  ASSERT_EQ(s.waiting(), d.playing.has_value() || !d.timers.empty() || d.http.has_value());
  ASSERT_LE(d.timers.size(), 1u);
  ASSERT_EQ(d.terminal_commands, 0u);
}

TEST(IvrSessionProperty, RandomEventsNeverStrandASession) {
  const auto text =
      hotline::testing::read_file(hotline::testing::source_dir() / "config/ivr/demo.yaml");
  FixedOffsetZones zones;
  zones.add("Europe/Paris", std::chrono::hours(1));
  const auto flow = testing::load_or_fail(text, zones).find("demo");
  ASSERT_NE(flow, nullptr);

  // Mostly ordinary callers, so most walks get past the screening.
  const std::vector<std::string> callers = {"+33123456789", "+33123456789", "+33123456789",
                                            "+33140000000", "+33140000000", "",
                                            "+33612345678", "+33999000111", "+442079460555"};
  const std::string keys = "0123456789*#A";
  const std::vector<std::string> bodies = {
      R"({"balance": 12.5, "currency": "euros"})", R"({"balance": "7"})", "not json", "",
      R"({"balance": null, "currency": "x"})",     R"([1,2,3])"};
  std::size_t finished_by_route = 0;
  std::size_t finished_by_hangup = 0;
  std::map<std::string, int> visits;  // sessions that entered each node

  for (std::uint64_t seed = 1; seed <= 1000; ++seed) {
    std::mt19937_64 rng(seed);
    auto pick = [&](std::size_t n) {
      return static_cast<std::size_t>(std::uniform_int_distribution<std::size_t>(0, n - 1)(rng));
    };
    // Any hour of any day in a fortnight that holds a holiday.
    const Timestamp start = Timestamp(std::chrono::sys_days(std::chrono::year{2026} / 12 / 18)) +
                            std::chrono::minutes(static_cast<std::int64_t>(pick(14 * 24 * 60)));
    Driver d(start);
    d.begin(flow, CallContext{"c", callers[pick(callers.size())], "100", "web"});
    check_invariants(d, seed, 0);
    for (int step = 1; step <= 300 && !d.session->finished(); ++step) {
      switch (pick(10)) {
        case 0:
        case 1:
        case 2: d.digit(keys[pick(keys.size())]); break;
        case 3:
          if (d.playing) d.finish_prompt(pick(8) == 0);
          break;
        case 4: d.fire_next_timer(); break;
        case 5:
          if (d.http) {
            if (pick(4) == 0) {
              d.http_fail("refused");
            } else {
              const std::string& body = pick(2) == 0 ? bodies[0] : bodies[pick(bodies.size())];
              d.http_reply(pick(5) == 0 ? 503 : 200, body);
            }
          }
          break;
        case 6: d.advance(std::chrono::milliseconds(static_cast<int>(pick(8000)))); break;
        case 7: {  // stale or foreign ids, as a confused switch might send
          const std::uint64_t id = pick(40);
          switch (pick(4)) {
            case 0: d.send(PromptFinished{id, false}); break;
            case 1: d.send(TimerFired{id}); break;
            case 2: d.send(HttpResponse{id, 200, bodies[0]}); break;
            default: d.send(HttpFailed{id, "x"}); break;
          }
          break;
        }
        case 8: {
          std::string digits;
          for (std::size_t i = pick(18); i > 0; --i) digits += keys[pick(keys.size())];
          d.send(DigitsCollected{digits});
          break;
        }
        case 9:
          if (pick(20) == 0) d.send(CallerHungUp{});
          break;
      }
      check_invariants(d, seed, step);
      if (::testing::Test::HasFatalFailure()) return;
    }
    const auto entered = d.nodes();
    for (const auto& n : std::set<std::string>(entered.begin(), entered.end())) ++visits[n];
    if (d.session->finished()) {
      EXPECT_LE(d.terminal_commands, 1u);
      if (d.terminal_commands == 1) {
        ++finished_by_route;
      } else {
        ++finished_by_hangup;
        EXPECT_EQ(d.session->end_reason(), "caller-hangup");
      }
    }
    EXPECT_LE(d.session->steps(), flow->max_steps + 1);
  }
  ::testing::Test::RecordProperty("finished_by_route", static_cast<int>(finished_by_route));
  ::testing::Test::RecordProperty("finished_by_hangup", static_cast<int>(finished_by_hangup));
  for (const auto& [node, n] : visits) ::testing::Test::RecordProperty("visits_" + node, n);
  // The walk reaches the ends of the flow, not just the first prompt.
  EXPECT_GT(finished_by_route, 500u);
  EXPECT_GT(finished_by_hangup, 0u);
  for (const auto& node : flow->nodes) EXPECT_GT(visits[node.name], 0) << node.name;
}

}  // namespace
}  // namespace hotline::cc::ivr
