// The live contact center: the ACD engine (cc::Acd, the same code the simulator
// runs) joined to the B2BUA. Calls the dial plan or an IVR sends to a queue become
// ACD interactions; the ACD's commands become B2BUA actions (ring an agent's
// devices, cancel, music on hold, position announcements, the queue's exit), and
// what happens to the calls goes back into the ACD as inputs (answered, caller
// hung up, conversation ended). Agents change state with feature codes from their
// phones. Every ACD event leaves through B2buaPorts::emit under the ACD's own name
// (interaction.queued, agent.state_changed, ...). See docs/calls.md, "Queues and
// agents".
//
// Wiring (the server): create() it after the B2BUA (it registers itself as the
// B2BUA's QueueSink; destroy it before the B2BUA — the destructor unregisters),
// then arm one timer on next_deadline() and call on_timer() when it fires, on the
// same loop as the B2BUA. Re-arm after every input (SIP, media event, timer).
//
// Thread-safety: none; the control loop owns it, like the B2BUA.
//
// Invariants:
//  1. Every interaction the ACD knows as waiting, offering or connected maps to
//     exactly one live B2BUA call, and back (calls_ / interactions_).
//  2. An interaction's ringing offers (offers_) are exactly the agents whose
//     devices the B2BUA rings for it (ring_agent tag = agent id).
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "cc/acd.hpp"
#include "common/clock.hpp"
#include "switch/b2bua.hpp"

namespace hotline::sw {

// A queue and the skills every call in it needs (app::CcQueue, field for field).
struct CcQueueSetup {
  cc::QueueConfig config;
  std::vector<cc::SkillRequirement> skills;
};

// The contact-center configuration in the engine's types (what
// app::read_contact_center produces: skills, queues, agents and ACD options, ids
// by position). Agents' `devices` are their extensions.
struct ContactCenterSetup {
  std::vector<std::string> skills;
  std::vector<CcQueueSetup> queues;
  std::vector<cc::AgentConfig> agents;
  cc::AcdOptions acd;
};

// The ACD's pending timers ordered by deadline, so the server's one timer is armed
// on the earliest in O(1) and starting, cancelling or firing one is O(log n)
// (a contact center has a ring, max-wait or announcement timer per waiting call
// and a wrap-up timer per agent: thousands).
//
// Thread-safety: none (the ContactCenter's loop). Invariant: every pending id is
// in both by_id_ and by_deadline_, with the same deadline, and nothing else is.
class AcdTimers {
 public:
  // Starts `id`, replacing the deadline it had if it is pending already.
  void start(cc::TimerId id, MonoTime deadline);
  // False when `id` is not pending (fired or cancelled before).
  bool cancel(cc::TimerId id);
  bool pending(cc::TimerId id) const { return by_id_.contains(id); }
  // The earliest pending deadline.
  std::optional<MonoTime> next() const;
  // The timers due at `now` (deadline <= now) with their deadlines, earliest
  // first, ties by id. They stay pending: the caller fires each after take(), so
  // firing one may cancel (or restart) another.
  std::vector<std::pair<MonoTime, cc::TimerId>> due(MonoTime now) const;
  // Removes `id` if it is still pending with this deadline (not cancelled or
  // restarted since due() listed it); false otherwise.
  bool take(cc::TimerId id, MonoTime deadline);
  std::size_t size() const { return by_id_.size(); }

 private:
  std::unordered_map<cc::TimerId, MonoTime> by_id_;
  std::set<std::pair<MonoTime, cc::TimerId>> by_deadline_;
};

class ContactCenter final : public QueueSink {
 public:
  // Adds the queues and agents to a new engine (every agent logged out) and
  // registers with `b2bua`. Fails on a configuration the engine refuses.
  static Result<std::unique_ptr<ContactCenter>> create(const Clock& clock, B2bua& b2bua,
                                                       ContactCenterSetup setup);
  ~ContactCenter() override;
  ContactCenter(const ContactCenter&) = delete;
  ContactCenter& operator=(const ContactCenter&) = delete;

  // ACD timers (ring timeouts, wrap-up, max wait, announcements). next_deadline()
  // is O(1); on_timer() fires the timers due at `now`, earliest first, each
  // followed by carrying out what the engine asked (so a timer fired first may
  // cancel a later one, which is then skipped). A timer the engine starts while
  // these fire, already due, fires at the next on_timer() (the owner re-arms on
  // next_deadline(), which is then in the past).
  std::optional<MonoTime> next_deadline() const { return timers_.next(); }
  void on_timer(MonoTime now);

  // For the API and tests.
  cc::Acd& acd() { return acd_; }
  std::optional<cc::AgentId> agent_by_name(std::string_view name) const;
  std::optional<cc::AgentId> agent_by_extension(std::string_view extension) const;
  // Changes an agent's state as the feature codes do (and emits its events).
  Status set_presence(cc::AgentId agent, cc::Presence presence, std::string reason = {});
  std::size_t waiting_calls() const { return interactions_.size(); }

  // QueueSink
  bool enqueue(CallId call, const cc::ivr::RouteToQueue& route) override;
  void agent_answered(CallId call, std::uint32_t tag) override;
  void call_ended(CallId call, EndCause cause, bool connected) override;
  FeatureReply feature(std::string_view extension, const FeatureMatch& match) override;

 private:
  ContactCenter(const Clock& clock, B2bua& b2bua, ContactCenterSetup setup);
  // Carries out the engine's commands and emits its events until it is quiet.
  void pump();
  void run(const cc::Command& command);
  void publish(const cc::Event& event);
  nlohmann::json describe(const cc::Event& event) const;
  std::string agent_name(cc::AgentId id) const;
  std::string queue_name(cc::QueueId id) const;
  CallId call_of(cc::InteractionId id) const;
  void forget(cc::InteractionId id);

  const Clock& clock_;
  B2bua& b2bua_;
  ContactCenterSetup setup_;
  cc::Acd acd_;
  AcdTimers timers_;
  // Lookups by name for each call and feature code (built from setup_, fixed).
  std::unordered_map<std::string, cc::QueueId> queue_by_name_;
  std::unordered_map<std::string, cc::AgentId> agent_by_extension_;
  std::unordered_map<CallId, cc::InteractionId> interactions_;
  std::unordered_map<cc::InteractionId, CallId> calls_;
  bool pumping_ = false;
};

}  // namespace hotline::sw
