// Property test: random sequences of inputs (arrivals, answers, declines, hang-ups,
// callbacks, presence changes, wrap-up commands, passing time) against invariants
// that must hold whatever happens:
//   * every queue visit ends in at most one outcome, and a visit without an outcome
//     belongs to an interaction that is still in that queue (nothing is lost);
//   * an agent is offered something only when the event stream says it is ready
//     (never double-booked, never during wrap-up, not ready or logged out);
//   * the engine's own consistency check passes after every step.
// Seeded, so every run is the same run.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "cc/acd.hpp"
#include "cc/test_harness.hpp"

namespace hotline::cc {
namespace {

using std::chrono::seconds;

struct World {
  std::mt19937_64 rng;
  testing::Harness h;
  std::vector<QueueId> queues;
  std::vector<AgentId> agents;
  std::set<std::pair<InteractionId, AgentId>> ringing;
  std::set<InteractionId> live;

  explicit World(std::uint64_t seed) : rng(seed), h(options(seed)) {}

  static AcdOptions options(std::uint64_t seed) {
    AcdOptions o;
    o.seed = seed;
    o.max_missed_offers = 2;
    return o;
  }
  std::uint64_t pick(std::uint64_t n) { return n == 0 ? 0 : rng() % n; }
  bool chance(int percent) { return pick(100) < static_cast<std::uint64_t>(percent); }

  void build() {
    const int nq = 1 + static_cast<int>(pick(3));
    for (int q = 0; q < nq; ++q) {
      QueueConfig c;
      c.name = "q" + std::to_string(q);
      c.strategy = kAllStrategies[pick(std::size(kAllStrategies))];
      c.ring_timeout = seconds(5 + pick(20));
      c.wrapup = seconds(pick(3) * 10);
      c.priority = 1 + static_cast<int>(pick(4));
      c.max_length = chance(30) ? 3 : 0;
      if (chance(50)) {
        c.max_wait = seconds(60 + pick(240));
        c.exit_destination = "voicemail";
      }
      if (chance(40)) c.announce_period = seconds(30);
      if (chance(40)) c.relaxation = {{seconds(20 + pick(60)), 1 + static_cast<int>(pick(5))}};
      queues.push_back(*h.acd.add_queue(c));
    }
    for (QueueId q : queues) {  // overflow rules once every queue exists
      QueueConfig c = *h.acd.queue_config(q);
      if (nq > 1 && chance(60)) {
        QueueId target = queues[pick(queues.size())];
        if (target != q) {
          c.overflow = {{seconds(10 + pick(120)),
                         chance(50) ? OverflowAction::kMoveTo : OverflowAction::kAlsoOffer,
                         target}};
        }
      }
      EXPECT_TRUE(h.acd.update_queue(q, c).has_value());
    }
    const int na = 1 + static_cast<int>(pick(6));
    for (int a = 0; a < na; ++a) {
      AgentConfig c;
      c.name = "a" + std::to_string(a);
      for (QueueId q : queues) {
        if (chance(70)) c.memberships.push_back({q, static_cast<int>(pick(3))});
      }
      if (chance(60)) c.skills.push_back({1, 1 + static_cast<int>(pick(10))});
      agents.push_back(*h.acd.add_agent(c));
    }
  }

  template <typename T>
  T from(const std::set<T>& s) {
    auto it = s.begin();
    std::advance(it, static_cast<long>(pick(s.size())));
    return *it;
  }

  void step() {
    switch (pick(12)) {
      case 0:
      case 1: {
        InteractionSpec s;
        s.queue = queues[pick(queues.size())];
        s.priority = static_cast<int>(pick(3));
        if (chance(40)) s.skills.push_back({1, 1 + static_cast<int>(pick(10))});
        if (chance(80)) s.caller = "+1555";
        if (auto id = h.acd.arrive(s)) live.insert(*id);
        break;
      }
      case 2:
      case 3:
        if (!ringing.empty()) {
          auto [i, a] = from(ringing);
          auto r = h.acd.offer_answered(i, a);
          EXPECT_TRUE(r.has_value())
              << r.error().describe() << " phase "
              << static_cast<int>(h.acd.phase(i).value_or(InteractionPhase::kWaiting));
          if (r) std::erase_if(ringing, [&](const auto& p) { return p.first == i; });
        }
        break;
      case 4:
        if (!ringing.empty()) {
          auto [i, a] = from(ringing);
          (void)h.acd.offer_declined(i, a);  // refused for a callback being placed
        }
        break;
      case 5:
        if (!live.empty()) (void)h.acd.caller_hung_up(from(live));
        break;
      case 6:
        if (!live.empty()) (void)h.acd.conversation_ended(from(live));
        break;
      case 7:
        if (!live.empty()) {
          const InteractionId i = from(live);
          if (chance(70)) {
            (void)h.acd.request_callback(i, "");
          } else {
            (void)h.acd.callback_failed(i);
          }
        }
        break;
      case 8: {
        const AgentId a = agents[pick(agents.size())];
        const Presence p = static_cast<Presence>(pick(3));
        auto r = h.acd.set_presence(a, p, p == Presence::kNotReady ? "break" : "");
        EXPECT_TRUE(r.has_value() || r.error().code == ErrorCode::kFailedPrecondition);
        break;
      }
      case 9: {
        const AgentId a = agents[pick(agents.size())];
        if (chance(50)) {
          (void)h.acd.end_wrapup(a);
        } else {
          (void)h.acd.extend_wrapup(a, seconds(1 + pick(20)));
        }
        break;
      }
      default: h.advance(seconds(pick(40))); break;
    }
  }

  // Folds the outputs of the last step into the tracking sets, checking invariants.
  std::map<AgentId, AgentState> seen_state;
  std::map<std::pair<InteractionId, std::uint32_t>, int> queued, outcomes;
  std::size_t events_read = 0, commands_read = 0;

  void observe() {
    h.pump();
    for (; commands_read < h.commands.size(); ++commands_read) {
      const Command& c = h.commands[commands_read];
      if (const auto* o = std::get_if<OfferToAgent>(&c)) ringing.insert({o->interaction, o->agent});
      if (const auto* o = std::get_if<PlaceCallback>(&c))
        ringing.insert({o->interaction, o->agent});
      if (const auto* x = std::get_if<CancelOffer>(&c)) ringing.erase({x->interaction, x->agent});
    }
    auto outcome = [&](InteractionId i, std::uint32_t v) {
      EXPECT_EQ(++outcomes[std::make_pair(i, v)], 1)
          << "second outcome for " << i.value << "/" << v;
    };
    for (; events_read < h.events.size(); ++events_read) {
      const Event& e = h.events[events_read];
      if (const auto* q = std::get_if<InteractionQueued>(&e)) {
        EXPECT_EQ(++queued[std::make_pair(q->interaction, q->visit)], 1);
      } else if (const auto* o = std::get_if<InteractionOffered>(&e)) {
        EXPECT_EQ(seen_state[o->agent], AgentState::kReady)
            << "offer to agent " << o->agent.value << " who is not ready";
      } else if (const auto* s = std::get_if<AgentStateChanged>(&e)) {
        EXPECT_EQ(seen_state[s->agent], s->from);
        seen_state[s->agent] = s->to;
      } else if (const auto* r = std::get_if<InteractionRona>(&e)) {
        ringing.erase({r->interaction, r->agent});
      } else if (const auto* a = std::get_if<InteractionAnswered>(&e)) {
        outcome(a->interaction, a->visit);
        std::erase_if(ringing, [&](const auto& p) { return p.first == a->interaction; });
      } else if (const auto* b = std::get_if<InteractionAbandoned>(&e)) {
        outcome(b->interaction, b->visit);
      } else if (const auto* t = std::get_if<InteractionTimedOut>(&e)) {
        outcome(t->interaction, t->visit);
      } else if (const auto* f = std::get_if<InteractionOverflowed>(&e)) {
        outcome(f->interaction, f->visit);
      } else if (const auto* cb = std::get_if<InteractionCalledBack>(&e)) {
        outcome(cb->interaction, cb->visit);
      } else if (const auto* end = std::get_if<InteractionEnded>(&e)) {
        std::erase_if(ringing, [&](const auto& p) { return p.first == end->interaction; });
      }
    }
    std::erase_if(live, [&](InteractionId i) { return !h.acd.phase(i).has_value(); });
    std::erase_if(ringing, [&](const auto& p) { return !h.acd.phase(p.first).has_value(); });
  }

  void check_never_lost() {
    for (const auto& [key, n] : queued) {
      const auto [i, v] = key;
      const bool ended = outcomes.contains(key);
      const auto phase = h.acd.phase(i);
      const bool in_queue =
          phase && h.acd.visit(i) == v &&
          (*phase == InteractionPhase::kWaiting || *phase == InteractionPhase::kOffering ||
           *phase == InteractionPhase::kCallbackWait);
      EXPECT_NE(ended, in_queue) << "interaction " << i.value << " visit " << v;
    }
    for (const auto& [key, n] : outcomes) EXPECT_TRUE(queued.contains(key));
  }
};

TEST(AcdProperty, NothingIsLostAndNoAgentIsDoubleBooked) {
  std::size_t total_visits = 0;
  std::map<std::string_view, std::size_t> seen;
  for (std::uint64_t seed = 1; seed <= 500; ++seed) {
    World w(seed);
    w.build();
    for (int s = 0; s < 400; ++s) {
      w.step();
      w.observe();
      auto ok = w.h.acd.self_check();
      ASSERT_TRUE(ok.has_value()) << "seed " << seed << " step " << s << ": "
                                  << ok.error().describe();
      if (::testing::Test::HasFailure()) FAIL() << "seed " << seed << " step " << s;
    }
    w.check_never_lost();
    if (::testing::Test::HasFailure()) FAIL() << "seed " << seed;
    total_visits += w.queued.size();
    for (const auto& e : w.h.events) seen[event_name(e)]++;
  }
  // The random walk must actually reach every outcome, or it proves little.
  for (std::string_view name :
       {InteractionAnswered::kName, InteractionAbandoned::kName, InteractionTimedOut::kName,
        InteractionOverflowed::kName, InteractionCalledBack::kName, InteractionRona::kName,
        AgentWrapupStarted::kName, AgentMissedOffersLimit::kName, InteractionSkillsRelaxed::kName,
        InteractionTargetAdded::kName}) {
    EXPECT_GT(seen[name], 0u) << name;
  }
  EXPECT_GT(total_visits, 10'000u);
}

}  // namespace
}  // namespace hotline::cc
