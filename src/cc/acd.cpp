// Acd: configuration, the input handlers and the output/query surface. Queue visits
// live in acd_queueing.cpp, matching in acd_routing.cpp, agent state in
// acd_agents.cpp.
#include "cc/acd.hpp"

#include <algorithm>
#include <utility>

namespace hotline::cc {

Acd::Acd(const Clock& clock, AcdOptions options)
    : clock_(clock), options_(std::move(options)), rng_(options_.seed) {}

void Acd::emit(Event event) {
  const Timestamp at = clock_.now();
  std::visit(
      [&](auto& e) {
        e.at = at;
        if constexpr (requires { e.interaction; }) {
          if (auto it = interactions_.find(e.interaction); it != interactions_.end()) {
            std::uint32_t subject = 0;
            if constexpr (requires { e.agent; }) subject = e.agent.value;
            auto& history = it->second.history;
            // Bounded (DESIGN.md, principle 5): keep the first step and the latest.
            if (history.size() >= kMaxHistory) history.erase(history.begin() + 1);
            history.push_back({at, e.kName, subject});
          }
        }
      },
      event);
  events_.push_back(std::move(event));
}

TimerId Acd::start_timer(Duration after, TimerTarget target) {
  const TimerId id{next_timer_++};
  timers_.emplace(id, target);
  commands_.emplace_back(StartTimer{id, clock_.mono() + after});
  return id;
}

void Acd::cancel_timer(std::optional<TimerId>& timer) {
  if (!timer) return;
  if (timers_.erase(*timer) > 0) commands_.emplace_back(CancelTimer{*timer});
  timer.reset();
}

Acd::AgentRec* Acd::find_agent(AgentId id) {
  return id.value < agents_.size() ? &agents_[id.value] : nullptr;
}

Acd::InteractionRec* Acd::find_interaction(InteractionId id) {
  auto it = interactions_.find(id);
  return it == interactions_.end() ? nullptr : &it->second;
}

Duration Acd::waited(const InteractionRec& rec) const {
  return clock_.mono() - rec.entered;
}

// --- configuration -----------------------------------------------------------

Result<QueueId> Acd::add_queue(QueueConfig config) {
  if (auto ok = validate(config, queues_.size() + 1); !ok) return std::unexpected(ok.error());
  for (const auto& q : queues_) {
    if (q.config.name == config.name) {
      return fail(ErrorCode::kAlreadyExists, "queue '" + config.name + "' exists");
    }
  }
  const QueueId id{static_cast<std::uint32_t>(queues_.size())};
  QueueRec rec;
  rec.config = std::move(config);
  rec.handle_estimate = options_.default_handle_time;
  queues_.push_back(std::move(rec));
  return id;
}

Status Acd::update_queue(QueueId queue, QueueConfig config) {
  if (queue.value >= queues_.size()) return fail(ErrorCode::kNotFound, "unknown queue");
  if (auto ok = validate(config, queues_.size()); !ok) return ok;
  queues_[queue.value].config = std::move(config);
  return {};
}

Result<AgentId> Acd::add_agent(AgentConfig config) {
  if (auto ok = validate(config, queues_.size()); !ok) return std::unexpected(ok.error());
  const AgentId id{static_cast<std::uint32_t>(agents_.size())};
  for (const auto& m : config.memberships) {
    auto& q = queues_[m.queue.value];
    q.member_index.emplace(id, static_cast<std::uint32_t>(q.members.size()));
    q.members.push_back(id);
  }
  AgentRec rec;
  rec.config = std::move(config);
  rec.idle_since = clock_.mono();
  agents_.push_back(std::move(rec));
  return id;
}

// --- inputs --------------------------------------------------------------------

Result<InteractionId> Acd::arrive(InteractionSpec spec) {
  auto reject = [&](ErrorCode code, std::string reason) -> Result<InteractionId> {
    emit(InteractionRejected{{}, spec.queue, reason});
    return fail(code, std::move(reason));
  };
  if (spec.queue.value >= queues_.size()) {
    return reject(ErrorCode::kNotFound, "unknown queue " + std::to_string(spec.queue.value));
  }
  if (spec.priority < -kMaxPriority || spec.priority > kMaxPriority) {
    return reject(ErrorCode::kInvalidArgument, "priority must be -1000..1000");
  }
  for (const auto& s : spec.skills) {
    if (s.min_level < kMinSkillLevel || s.min_level > kMaxSkillLevel) {
      return reject(ErrorCode::kInvalidArgument, "skill min_level must be 1..10");
    }
  }
  const auto& q = queues_[spec.queue.value];
  if (q.config.max_length > 0 && q.waiting.size() >= q.config.max_length) {
    return reject(ErrorCode::kResourceExhausted, "queue '" + q.config.name + "' is full");
  }
  if (interactions_.size() >= options_.max_interactions) {
    return reject(ErrorCode::kResourceExhausted, "engine interaction bound reached");
  }
  const InteractionId id{next_interaction_++};
  InteractionRec& rec = interactions_[id];
  rec.id = id;
  const QueueId queue = spec.queue;
  rec.spec = std::move(spec);
  enter_queue(rec, queue);
  dispatch();
  return id;
}

Status Acd::offer_answered(InteractionId interaction, AgentId agent) {
  InteractionRec* rec = find_interaction(interaction);
  if (!rec) return fail(ErrorCode::kNotFound, "unknown interaction");
  AgentRec* a = find_agent(agent);
  if (!a) return fail(ErrorCode::kNotFound, "unknown agent");
  const MonoTime now = clock_.mono();
  if (rec->phase == InteractionPhase::kCallingBack && rec->agent == agent) {
    // The customer picked up the callback; the outcome was recorded when it was placed.
    std::erase(a->offers, interaction);
    a->active.push_back(interaction);
    rec->phase = InteractionPhase::kConnected;
    rec->answered_at = now;
    a->calls_answered++;
    a->missed_in_row = 0;
    refresh(agent, "callback connected");
    return {};
  }
  if (rec->phase != InteractionPhase::kOffering ||
      std::find(rec->ringing.begin(), rec->ringing.end(), agent) == rec->ringing.end()) {
    return fail(ErrorCode::kFailedPrecondition, "interaction is not ringing at this agent");
  }
  cancel_timer(rec->ring_timer);
  withdraw_offers(*rec, agent);
  std::erase(a->offers, interaction);
  a->active.push_back(interaction);
  a->calls_answered++;
  a->missed_in_row = 0;
  rec->ringing.clear();
  rec->phase = InteractionPhase::kConnected;
  rec->agent = agent;
  rec->answered_at = now;
  rec->pending = Pending::kNone;
  emit(InteractionAnswered{
      {}, interaction, rec->spec.queue, agent, rec->visit, waited(*rec), now - rec->offered_at});
  end_visit(*rec);
  refresh(agent, "answered");
  dispatch();
  return {};
}

Status Acd::offer_declined(InteractionId interaction, AgentId agent) {
  InteractionRec* rec = find_interaction(interaction);
  if (!rec) return fail(ErrorCode::kNotFound, "unknown interaction");
  if (rec->phase != InteractionPhase::kOffering ||
      std::find(rec->ringing.begin(), rec->ringing.end(), agent) == rec->ringing.end()) {
    return fail(ErrorCode::kFailedPrecondition, "interaction is not ringing at this agent");
  }
  emit(InteractionRona{{}, interaction, agent, clock_.mono() - rec->offered_at, true});
  std::erase(rec->ringing, agent);
  release(agent, interaction);
  if (rec->ringing.empty()) {
    cancel_timer(rec->ring_timer);
    back_to_waiting(*rec);
  }
  dispatch();
  return {};
}

Status Acd::caller_hung_up(InteractionId interaction) {
  InteractionRec* rec = find_interaction(interaction);
  if (!rec) return fail(ErrorCode::kNotFound, "unknown interaction");
  switch (rec->phase) {
    case InteractionPhase::kWaiting:
    case InteractionPhase::kOffering:
      abandon(*rec);
      dispatch();
      return {};
    case InteractionPhase::kConnected: return conversation_ended(interaction);
    case InteractionPhase::kCallingBack: return callback_failed(interaction);
    case InteractionPhase::kCallbackWait: break;
  }
  return fail(ErrorCode::kFailedPrecondition, "caller already left (waiting for a callback)");
}

Status Acd::conversation_ended(InteractionId interaction) {
  InteractionRec* rec = find_interaction(interaction);
  if (!rec) return fail(ErrorCode::kNotFound, "unknown interaction");
  if (rec->phase != InteractionPhase::kConnected || !rec->agent) {
    return fail(ErrorCode::kFailedPrecondition, "interaction is not connected");
  }
  const AgentId agent = *rec->agent;
  AgentRec& a = agents_[agent.value];
  const Duration handle = clock_.mono() - rec->answered_at;
  a.talk_time += handle;
  auto& q = queues_[rec->spec.queue.value];
  // Exponential smoothing: recent calls dominate the wait estimate.
  q.handle_estimate = (q.handle_estimate * 7 + handle) / 8;
  emit(InteractionEnded{{}, interaction, agent, handle});
  std::erase(a.active, interaction);
  a.load[static_cast<std::size_t>(rec->spec.channel)]--;
  start_wrapup(agent, *rec);
  forget(interaction);
  refresh(agent, "interaction ended");
  route_agents_.push_back(agent);
  dispatch();
  return {};
}

Status Acd::request_callback(InteractionId interaction, std::string number) {
  InteractionRec* rec = find_interaction(interaction);
  if (!rec) return fail(ErrorCode::kNotFound, "unknown interaction");
  if (rec->phase != InteractionPhase::kWaiting && rec->phase != InteractionPhase::kOffering) {
    return fail(ErrorCode::kFailedPrecondition, "interaction is not waiting in a queue");
  }
  if (rec->spec.channel != Channel::kVoice) {
    return fail(ErrorCode::kInvalidArgument, "callbacks are for voice interactions");
  }
  if (number.empty()) number = rec->spec.caller;
  if (number.empty()) return fail(ErrorCode::kInvalidArgument, "no number to call back");
  if (rec->phase == InteractionPhase::kOffering) {
    cancel_timer(rec->ring_timer);
    withdraw_offers(*rec, std::nullopt);
    add_to_waiting(*rec);
  }
  rec->phase = InteractionPhase::kCallbackWait;
  rec->callback_number = number;
  emit(InteractionCallbackRequested{{}, interaction, rec->spec.queue, std::move(number)});
  // The caller is gone: nothing to time out to or announce to. The place is kept.
  for (TimerId t : rec->queue_timers) {
    auto it = timers_.find(t);
    if (it == timers_.end()) continue;
    if (it->second.kind == TimerKind::kMaxWait || it->second.kind == TimerKind::kAnnounce) {
      timers_.erase(it);
      commands_.emplace_back(CancelTimer{t});
    }
  }
  if (rec->pending == Pending::kExit) rec->pending = Pending::kNone;
  route_interactions_.push_back(interaction);
  dispatch();
  return {};
}

Status Acd::callback_failed(InteractionId interaction) {
  InteractionRec* rec = find_interaction(interaction);
  if (!rec) return fail(ErrorCode::kNotFound, "unknown interaction");
  if (rec->phase != InteractionPhase::kCallingBack || !rec->agent) {
    return fail(ErrorCode::kFailedPrecondition, "no callback in progress");
  }
  const AgentId agent = *rec->agent;
  emit(InteractionEnded{{}, interaction, agent, Duration::zero()});
  release(agent, interaction);
  forget(interaction);
  dispatch();
  return {};
}

// --- outputs and queries ---------------------------------------------------------

std::vector<Command> Acd::take_commands() {
  return std::exchange(commands_, {});
}
std::vector<Event> Acd::take_events() {
  return std::exchange(events_, {});
}

Result<AgentState> Acd::agent_state(AgentId agent) const {
  if (agent.value >= agents_.size()) return fail(ErrorCode::kNotFound, "unknown agent");
  return agents_[agent.value].reported;
}

std::optional<InteractionPhase> Acd::phase(InteractionId interaction) const {
  auto it = interactions_.find(interaction);
  if (it == interactions_.end()) return std::nullopt;
  return it->second.phase;
}

std::uint32_t Acd::visit(InteractionId interaction) const {
  auto it = interactions_.find(interaction);
  return it == interactions_.end() ? 0 : it->second.visit;
}

std::size_t Acd::waiting_count(QueueId queue) const {
  return queue.value < queues_.size() ? queues_[queue.value].waiting.size() : 0;
}

const QueueConfig* Acd::queue_config(QueueId queue) const {
  return queue.value < queues_.size() ? &queues_[queue.value].config : nullptr;
}

std::vector<HistoryEntry> Acd::history(InteractionId interaction) const {
  auto it = interactions_.find(interaction);
  return it == interactions_.end() ? std::vector<HistoryEntry>{} : it->second.history;
}

}  // namespace hotline::cc
