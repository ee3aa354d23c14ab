// The ACD engine: queues, agents and routing as one deterministic state machine.
// Inputs are method calls (an interaction arrived, an offer was answered, a timer
// fired, ...); outputs are Commands for the switch and Events for the log, collected
// until the caller takes them. Time is read only from the injected Clock and
// randomness only from a generator seeded by AcdOptions::seed, so the live server
// and the simulator (sim/) run exactly this code and a test can replay it exactly.
//
// Thread-safety: none. One owner (the control loop, or the simulator) calls it.
//
// Invariants (checked by self_check(), exercised by the property test):
//   1. Every queue visit (one InteractionQueued event) ends in exactly one outcome
//      event: answered, abandoned, timed_out, overflowed or called_back.
//   2. An agent is never offered anything unless ready with free capacity; a voice
//      interaction occupies the whole agent (never double-booked); an agent in
//      wrap-up, not ready or logged out is never offered anything.
//   3. After every input, no waiting interaction has a free eligible agent (offers
//      are made as soon as they can be).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "cc/agent.hpp"
#include "cc/commands.hpp"
#include "cc/events.hpp"
#include "cc/interaction.hpp"
#include "cc/queue.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"

namespace hotline::cc {

struct AcdOptions {
  std::uint64_t seed = 1;
  // Offers an agent may let ring out in a row before the engine sets them not ready
  // (reason kReasonMissedOffers) and tells supervisors. 0 = never.
  std::uint32_t max_missed_offers = 3;
  // Accepted not-ready reason codes.
  std::vector<std::string> not_ready_reasons{"break", "lunch", "training", "meeting",
                                             std::string(kReasonMissedOffers)};
  // Bound on interactions alive at once (DESIGN.md, principle 5).
  std::size_t max_interactions = 1'000'000;
  // Handle time assumed for wait estimates before a queue has answered a call.
  Duration default_handle_time = std::chrono::seconds(180);
};

class Acd {
 public:
  Acd(const Clock& clock, AcdOptions options);

  // --- configuration ---------------------------------------------------------
  Result<QueueId> add_queue(QueueConfig config);
  // Replaces a queue's configuration (e.g. to add overflow targets defined later).
  // Applies to interactions entering the queue from now on.
  Status update_queue(QueueId queue, QueueConfig config);
  // A new agent starts logged out.
  Result<AgentId> add_agent(AgentConfig config);

  // --- inputs ----------------------------------------------------------------
  // An interaction enters its queue. Refused (error, plus InteractionRejected) when
  // the queue is full or the engine bound is reached.
  Result<InteractionId> arrive(InteractionSpec spec);
  // The agent answered an offer (or the callback connected customer and agent).
  Status offer_answered(InteractionId interaction, AgentId agent);
  // The agent's device refused the offer; it goes on at once to the next agent.
  // Not counted as a missed offer.
  Status offer_declined(InteractionId interaction, AgentId agent);
  // The customer hung up: abandoned while waiting or ringing; the end of the
  // conversation once connected.
  Status caller_hung_up(InteractionId interaction);
  // The conversation ended (either side) after it was answered.
  Status conversation_ended(InteractionId interaction);
  // Keep-my-place: the caller leaves and keeps their position. `number` may be
  // empty to use the caller identity of the interaction.
  Status request_callback(InteractionId interaction, std::string number);
  // The callback could not connect; the reserved agent is released.
  Status callback_failed(InteractionId interaction);
  // Login, ready, not ready (with a reason code), logout. A busy agent's request
  // takes effect after the work ends; ringing offers are withdrawn.
  Status set_presence(AgentId agent, Presence presence, std::string reason = {});
  Status end_wrapup(AgentId agent);
  Status extend_wrapup(AgentId agent, Duration extra);
  // A timer requested by StartTimer expired. Unknown or cancelled timers are ignored.
  void timer_fired(TimerId timer);

  // --- outputs ---------------------------------------------------------------
  std::vector<Command> take_commands();
  std::vector<Event> take_events();

  // --- queries ---------------------------------------------------------------
  Result<AgentState> agent_state(AgentId agent) const;
  std::optional<InteractionPhase> phase(InteractionId interaction) const;
  // 0 for an unknown interaction.
  std::uint32_t visit(InteractionId interaction) const;
  std::size_t waiting_count(QueueId queue) const;
  std::size_t interaction_count() const { return interactions_.size(); }
  std::size_t agent_count() const { return agents_.size(); }
  std::size_t queue_count() const { return queues_.size(); }
  const QueueConfig* queue_config(QueueId queue) const;
  // Steps of a live interaction so far; empty once it is gone.
  std::vector<HistoryEntry> history(InteractionId interaction) const;
  // Verifies invariant 2 and the internal indexes; a failure is a bug.
  Status self_check() const;

 private:
  enum class TimerKind : std::uint8_t { kRing, kMaxWait, kOverflow, kRelax, kAnnounce, kWrapup };
  struct TimerTarget {
    TimerKind kind = TimerKind::kRing;
    std::uint64_t subject = 0;  // interaction id, or agent id for wrap-up
    std::uint32_t index = 0;    // overflow rule / relaxation step
  };
  // Ordering in a queue's waiting list: priority, then arrival.
  struct WaitKey {
    int neg_priority = 0;
    std::uint64_t sequence = 0;
    InteractionId interaction;
    friend auto operator<=>(const WaitKey&, const WaitKey&) = default;
  };
  struct QueueRec {
    QueueConfig config;
    std::vector<AgentId> members;
    std::unordered_map<AgentId, std::uint32_t> member_index;
    std::set<WaitKey> waiting;
    std::uint32_t round_robin_next = 0;
    Duration handle_estimate{0};
  };
  struct AgentRec {
    AgentConfig config;
    Presence presence = Presence::kLoggedOut;
    std::string reason;
    std::array<int, kChannelCount> load{};
    std::vector<InteractionId> offers;  // ringing (or callback being placed)
    std::vector<InteractionId> active;  // connected
    std::optional<TimerId> wrapup_timer;
    MonoTime wrapup_until{};
    MonoTime idle_since{};
    std::uint32_t calls_answered = 0;
    Duration talk_time{0};
    std::uint32_t missed_in_row = 0;
    AgentState reported = AgentState::kLoggedOut;
    std::string reported_reason;
  };
  enum class Pending : std::uint8_t { kNone, kExit, kMove };
  struct InteractionRec {
    InteractionId id;
    InteractionSpec spec;
    std::uint32_t visit = 0;
    std::uint64_t sequence = 0;
    MonoTime entered{};
    InteractionPhase phase = InteractionPhase::kWaiting;
    std::vector<QueueId> extra_targets;  // from also-offer overflow rules
    std::vector<AgentId> ringing;
    std::vector<AgentId> tried;  // agents offered during this visit
    MonoTime offered_at{};
    std::optional<TimerId> ring_timer;
    std::vector<TimerId> queue_timers;
    int relaxed_by = 0;
    Pending pending = Pending::kNone;
    QueueId pending_target;
    std::optional<AgentId> agent;  // connected or being called back with
    MonoTime answered_at{};
    std::string callback_number;
    std::vector<HistoryEntry> history;
  };

  // acd.cpp: helpers shared by the input handlers.
  void emit(Event event);
  TimerId start_timer(Duration after, TimerTarget target);
  void cancel_timer(std::optional<TimerId>& timer);
  AgentRec* find_agent(AgentId id);
  InteractionRec* find_interaction(InteractionId id);
  Duration waited(const InteractionRec& rec) const;

  // acd_queueing.cpp: queue visits and their outcomes.
  void enter_queue(InteractionRec& rec, QueueId queue);
  void add_to_waiting(InteractionRec& rec);
  void remove_from_waiting(InteractionRec& rec);
  void end_visit(InteractionRec& rec);
  void abandon(InteractionRec& rec);
  void time_out(InteractionRec& rec);
  void overflow_move(InteractionRec& rec, QueueId target);
  void back_to_waiting(InteractionRec& rec);
  void on_queue_timer(InteractionRec& rec, const TimerTarget& target);
  void announce(InteractionRec& rec);
  void forget(InteractionId id);

  // acd_routing.cpp: matching agents and interactions.
  bool can_take(const AgentRec& agent, Channel channel) const;
  bool qualifies(const AgentRec& agent, const InteractionRec& rec) const;
  void route_interaction(InteractionRec& rec);
  void route_agent(AgentId id);
  void offer(InteractionRec& rec, const std::vector<AgentId>& agents);
  void withdraw_offers(InteractionRec& rec, std::optional<AgentId> except);
  void release(AgentId id, InteractionId interaction);
  void dispatch();

  // acd_agents.cpp: agent state.
  AgentState derive_state(const AgentRec& agent) const;
  void refresh(AgentId id, std::string_view cause);
  void on_ring_timeout(InteractionRec& rec);
  void start_wrapup(AgentId id, InteractionRec& rec);
  void finish_wrapup(AgentId id, bool early);

  const Clock& clock_;
  AcdOptions options_;
  std::mt19937_64 rng_;
  std::vector<QueueRec> queues_;
  std::vector<AgentRec> agents_;
  std::unordered_map<InteractionId, InteractionRec> interactions_;
  std::unordered_map<TimerId, TimerTarget> timers_;
  std::uint64_t next_interaction_ = 1;
  std::uint64_t next_timer_ = 1;
  std::uint64_t next_sequence_ = 1;
  std::vector<InteractionId> route_interactions_;  // worklists for dispatch()
  std::vector<AgentId> route_agents_;
  std::vector<Command> commands_;
  std::vector<Event> events_;
};

}  // namespace hotline::cc
