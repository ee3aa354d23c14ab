// Acd: agent state — presence requests, redirect on no answer with the missed-offer
// limit, wrap-up, and the consistency check used by tests.
#include <algorithm>

#include "cc/acd.hpp"

namespace hotline::cc {

AgentState Acd::derive_state(const AgentRec& a) const {
  if (!a.active.empty()) return AgentState::kBusy;
  if (!a.offers.empty()) return AgentState::kReserved;
  if (a.wrapup_timer) return AgentState::kWrapUp;
  switch (a.presence) {
    case Presence::kLoggedOut: return AgentState::kLoggedOut;
    case Presence::kReady: return AgentState::kReady;
    case Presence::kNotReady: return AgentState::kNotReady;
  }
  return AgentState::kLoggedOut;
}

void Acd::refresh(AgentId id, std::string_view cause) {
  AgentRec& a = agents_[id.value];
  const AgentState next = derive_state(a);
  const bool reason_changed = next == AgentState::kNotReady && a.reason != a.reported_reason;
  if (next != a.reported || reason_changed) {
    std::string reason = next == AgentState::kNotReady ? a.reason : std::string(cause);
    emit(AgentStateChanged{{}, id, a.reported, next, std::move(reason)});
    if (next == AgentState::kReady) a.idle_since = clock_.mono();
    a.reported = next;
    a.reported_reason = next == AgentState::kNotReady ? a.reason : std::string();
  }
  for (std::size_t ch = 0; ch < kChannelCount; ++ch) {
    if (can_take(a, static_cast<Channel>(ch))) {
      route_agents_.push_back(id);
      break;
    }
  }
}

void Acd::on_ring_timeout(InteractionRec& rec) {
  const MonoTime now = clock_.mono();
  const std::vector<AgentId> ringing = std::exchange(rec.ringing, {});
  for (AgentId id : ringing) {
    AgentRec& a = agents_[id.value];
    emit(InteractionRona{{}, rec.id, id, now - rec.offered_at, false});
    commands_.emplace_back(CancelOffer{rec.id, id});
    a.missed_in_row++;
    if (options_.max_missed_offers > 0 && a.missed_in_row >= options_.max_missed_offers) {
      // Set before release() so the agent goes straight from reserved to not ready.
      a.presence = Presence::kNotReady;
      a.reason = std::string(kReasonMissedOffers);
      emit(AgentMissedOffersLimit{{}, id, a.missed_in_row});
      a.missed_in_row = 0;
    }
    release(id, rec.id);
  }
  back_to_waiting(rec);
}

void Acd::start_wrapup(AgentId id, InteractionRec& rec) {
  const Duration d = queues_[rec.spec.queue.value].config.wrapup;
  if (d <= Duration::zero()) return;
  AgentRec& a = agents_[id.value];
  cancel_timer(a.wrapup_timer);
  a.wrapup_until = clock_.mono() + d;
  a.wrapup_timer = start_timer(d, {TimerKind::kWrapup, id.value, 0});
  emit(AgentWrapupStarted{{}, id, rec.id, d});
}

void Acd::finish_wrapup(AgentId id, bool early) {
  AgentRec& a = agents_[id.value];
  cancel_timer(a.wrapup_timer);
  emit(AgentWrapupEnded{{}, id, early});
  refresh(id, "wrap-up ended");
}

Status Acd::end_wrapup(AgentId agent) {
  AgentRec* a = find_agent(agent);
  if (!a) return fail(ErrorCode::kNotFound, "unknown agent");
  if (!a->wrapup_timer) return fail(ErrorCode::kFailedPrecondition, "agent is not in wrap-up");
  finish_wrapup(agent, true);
  dispatch();
  return {};
}

Status Acd::extend_wrapup(AgentId agent, Duration extra) {
  AgentRec* a = find_agent(agent);
  if (!a) return fail(ErrorCode::kNotFound, "unknown agent");
  if (!a->wrapup_timer) return fail(ErrorCode::kFailedPrecondition, "agent is not in wrap-up");
  if (extra <= Duration::zero() || extra > kMaxConfigDuration) {
    return fail(ErrorCode::kInvalidArgument, "extra must be > 0 and at most 7 days");
  }
  cancel_timer(a->wrapup_timer);
  a->wrapup_until += extra;
  a->wrapup_timer =
      start_timer(a->wrapup_until - clock_.mono(), {TimerKind::kWrapup, agent.value, 0});
  emit(AgentWrapupExtended{{}, agent, extra});
  return {};
}

Status Acd::set_presence(AgentId agent, Presence presence, std::string reason) {
  AgentRec* a = find_agent(agent);
  if (!a) return fail(ErrorCode::kNotFound, "unknown agent");
  if (presence == Presence::kNotReady) {
    if (!reason.empty() &&
        std::find(options_.not_ready_reasons.begin(), options_.not_ready_reasons.end(), reason) ==
            options_.not_ready_reasons.end()) {
      return fail(ErrorCode::kInvalidArgument, "unknown not-ready reason '" + reason + "'");
    }
  } else {
    reason.clear();
  }
  const bool calling_back = std::any_of(a->offers.begin(), a->offers.end(), [&](auto id) {
    const InteractionRec* rec = find_interaction(id);
    return rec && rec->phase == InteractionPhase::kCallingBack;
  });
  if (presence == Presence::kLoggedOut && (!a->active.empty() || calling_back)) {
    return fail(ErrorCode::kFailedPrecondition, "agent is handling an interaction");
  }
  a->presence = presence;
  a->reason = std::move(reason);
  if (presence == Presence::kReady) a->missed_in_row = 0;
  if (presence != Presence::kReady) {
    // Withdraw what is ringing: the agent said they cannot take it.
    for (InteractionId id : std::vector<InteractionId>(a->offers)) {
      InteractionRec* rec = find_interaction(id);
      if (!rec || rec->phase != InteractionPhase::kOffering) continue;
      commands_.emplace_back(CancelOffer{id, agent});
      std::erase(rec->ringing, agent);
      release(agent, id);
      if (rec->ringing.empty()) {
        cancel_timer(rec->ring_timer);
        back_to_waiting(*rec);
      }
    }
  }
  if (presence == Presence::kLoggedOut && a->wrapup_timer) {
    finish_wrapup(agent, true);
  }
  refresh(agent, presence == Presence::kReady ? "ready" : "presence");
  dispatch();
  return {};
}

Status Acd::self_check() const {
  auto bug = [](std::string what) { return fail(ErrorCode::kInternal, std::move(what)); };
  for (std::size_t i = 0; i < agents_.size(); ++i) {
    const AgentRec& a = agents_[i];
    const std::string who = "agent " + a.config.name + ": ";
    std::array<int, kChannelCount> load{};
    std::size_t voice = 0;
    for (const auto* list : {&a.offers, &a.active}) {
      for (InteractionId id : *list) {
        auto it = interactions_.find(id);
        if (it == interactions_.end()) return bug(who + "holds a forgotten interaction");
        const InteractionRec& rec = it->second;
        const Channel ch = rec.spec.channel;
        load[static_cast<std::size_t>(ch)]++;
        if (ch == Channel::kVoice) ++voice;
      }
    }
    if (voice > 0 && a.offers.size() + a.active.size() > 1) return bug(who + "double-booked");
    if (a.load != load) return bug(who + "load counters disagree with its interactions");
    if (a.reported != derive_state(a)) return bug(who + "reported state is stale");
    if (!a.offers.empty() && a.presence == Presence::kLoggedOut) {
      return bug(who + "logged out with an offer");
    }
  }
  for (const auto& [id, rec] : interactions_) {
    const std::string what = "interaction " + std::to_string(id.value) + ": ";
    const QueueRec& q = queues_[rec.spec.queue.value];
    const bool listed = q.waiting.contains({-rec.spec.priority, rec.sequence, id});
    const bool routable =
        rec.phase == InteractionPhase::kWaiting || rec.phase == InteractionPhase::kCallbackWait;
    if (listed != routable) return bug(what + "waiting list disagrees with phase");
    if (rec.phase == InteractionPhase::kOffering) {
      if (rec.ringing.empty() || !rec.ring_timer) return bug(what + "offering without ringing");
      for (AgentId a : rec.ringing) {
        const auto& offers = agents_[a.value].offers;
        if (std::find(offers.begin(), offers.end(), id) == offers.end()) {
          return bug(what + "ringing agent does not hold the offer");
        }
      }
    }
    if (routable) {
      std::vector<QueueId> targets = rec.extra_targets;
      targets.push_back(rec.spec.queue);
      for (QueueId qid : targets) {
        for (AgentId m : queues_[qid.value].members) {
          if (can_take(agents_[m.value], rec.spec.channel) && qualifies(agents_[m.value], rec)) {
            return bug(what + "waits while agent " + agents_[m.value].config.name + " is free");
          }
        }
      }
    }
  }
  return {};
}

}  // namespace hotline::cc
