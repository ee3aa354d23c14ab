// Acd: queue visits — entering a queue, its timers (max wait, overflow, skill
// relaxation, announcements) and the outcomes that end a visit.
#include <algorithm>

#include "cc/acd.hpp"

namespace hotline::cc {

void Acd::enter_queue(InteractionRec& rec, QueueId queue) {
  rec.spec.queue = queue;
  rec.visit++;
  rec.entered = clock_.mono();
  rec.sequence = next_sequence_++;
  rec.extra_targets.clear();
  rec.tried.clear();
  rec.relaxed_by = 0;
  rec.pending = Pending::kNone;
  add_to_waiting(rec);
  const QueueRec& q = queues_[queue.value];
  const WaitKey key{-rec.spec.priority, rec.sequence, rec.id};
  const auto position =
      static_cast<std::uint32_t>(std::distance(q.waiting.begin(), q.waiting.find(key)) + 1);
  emit(InteractionQueued{{}, rec.id, queue, rec.visit, rec.spec.priority, position});

  const QueueConfig& c = q.config;
  const bool caller_present = rec.phase != InteractionPhase::kCallbackWait;
  // Each queue may have its own music; a moved caller hears the new queue's.
  if (caller_present) commands_.emplace_back(HoldWithMusic{rec.id, c.music_on_hold});
  if (caller_present && c.max_wait > Duration::zero()) {
    rec.queue_timers.push_back(start_timer(c.max_wait, {TimerKind::kMaxWait, rec.id.value, 0}));
  }
  for (std::uint32_t i = 0; i < c.overflow.size(); ++i) {
    rec.queue_timers.push_back(
        start_timer(c.overflow[i].after, {TimerKind::kOverflow, rec.id.value, i}));
  }
  for (std::uint32_t i = 0; i < c.relaxation.size(); ++i) {
    rec.queue_timers.push_back(
        start_timer(c.relaxation[i].after, {TimerKind::kRelax, rec.id.value, i}));
  }
  if (caller_present && c.announce_period > Duration::zero()) {
    rec.queue_timers.push_back(
        start_timer(c.announce_period, {TimerKind::kAnnounce, rec.id.value, 0}));
  }
  route_interactions_.push_back(rec.id);
}

void Acd::add_to_waiting(InteractionRec& rec) {
  const WaitKey key{-rec.spec.priority, rec.sequence, rec.id};
  queues_[rec.spec.queue.value].waiting.insert(key);
  for (QueueId q : rec.extra_targets) queues_[q.value].waiting.insert(key);
}

void Acd::remove_from_waiting(InteractionRec& rec) {
  const WaitKey key{-rec.spec.priority, rec.sequence, rec.id};
  queues_[rec.spec.queue.value].waiting.erase(key);
  for (QueueId q : rec.extra_targets) queues_[q.value].waiting.erase(key);
}

void Acd::end_visit(InteractionRec& rec) {
  for (TimerId t : rec.queue_timers) {
    if (timers_.erase(t) > 0) commands_.emplace_back(CancelTimer{t});
  }
  rec.queue_timers.clear();
  remove_from_waiting(rec);
}

void Acd::abandon(InteractionRec& rec) {
  if (rec.phase == InteractionPhase::kOffering) {
    cancel_timer(rec.ring_timer);
    withdraw_offers(rec, std::nullopt);
  }
  emit(InteractionAbandoned{{}, rec.id, rec.spec.queue, rec.visit, waited(rec)});
  end_visit(rec);
  forget(rec.id);
}

void Acd::time_out(InteractionRec& rec) {
  const std::string& destination = queues_[rec.spec.queue.value].config.exit_destination;
  commands_.emplace_back(MoveToExit{rec.id, destination});
  emit(InteractionTimedOut{{}, rec.id, rec.spec.queue, rec.visit, waited(rec), destination});
  end_visit(rec);
  forget(rec.id);
}

void Acd::overflow_move(InteractionRec& rec, QueueId target) {
  emit(InteractionOverflowed{{}, rec.id, rec.spec.queue, rec.visit, target, waited(rec)});
  end_visit(rec);
  enter_queue(rec, target);
}

void Acd::back_to_waiting(InteractionRec& rec) {
  rec.phase = InteractionPhase::kWaiting;
  rec.ringing.clear();
  // Deadlines that passed while an agent's phone rang apply now.
  if (rec.pending == Pending::kExit) {
    time_out(rec);
    return;
  }
  if (rec.pending == Pending::kMove) {
    overflow_move(rec, rec.pending_target);
    return;
  }
  add_to_waiting(rec);
  route_interactions_.push_back(rec.id);
}

void Acd::on_queue_timer(InteractionRec& rec, const TimerTarget& target) {
  const QueueConfig& c = queues_[rec.spec.queue.value].config;
  const bool offering = rec.phase == InteractionPhase::kOffering;
  switch (target.kind) {
    case TimerKind::kMaxWait:
      if (offering) {
        rec.pending = Pending::kExit;
      } else if (rec.phase == InteractionPhase::kWaiting) {
        time_out(rec);
      }
      return;
    case TimerKind::kOverflow: {
      if (target.index >= c.overflow.size()) return;  // config changed meanwhile
      const OverflowRule rule = c.overflow[target.index];
      if (rule.target == rec.spec.queue) return;
      if (rule.action == OverflowAction::kMoveTo) {
        if (offering) {
          if (rec.pending == Pending::kNone) {
            rec.pending = Pending::kMove;
            rec.pending_target = rule.target;
          }
        } else {
          overflow_move(rec, rule.target);
        }
        return;
      }
      if (std::find(rec.extra_targets.begin(), rec.extra_targets.end(), rule.target) !=
          rec.extra_targets.end()) {
        return;
      }
      rec.extra_targets.push_back(rule.target);
      if (!offering) {
        queues_[rule.target.value].waiting.insert({-rec.spec.priority, rec.sequence, rec.id});
      }
      emit(InteractionTargetAdded{{}, rec.id, rec.spec.queue, rule.target});
      route_interactions_.push_back(rec.id);
      return;
    }
    case TimerKind::kRelax:
      if (target.index >= c.relaxation.size()) return;
      rec.relaxed_by += c.relaxation[target.index].reduce_by;
      emit(InteractionSkillsRelaxed{{}, rec.id, rec.relaxed_by});
      route_interactions_.push_back(rec.id);
      return;
    case TimerKind::kAnnounce:
      if (rec.phase == InteractionPhase::kWaiting) announce(rec);
      if (c.announce_period > Duration::zero()) {
        rec.queue_timers.push_back(
            start_timer(c.announce_period, {TimerKind::kAnnounce, rec.id.value, 0}));
      }
      return;
    case TimerKind::kRing:
    case TimerKind::kWrapup: return;  // not queue timers
  }
}

void Acd::announce(InteractionRec& rec) {
  const QueueRec& q = queues_[rec.spec.queue.value];
  const WaitKey key{-rec.spec.priority, rec.sequence, rec.id};
  const auto it = q.waiting.find(key);
  if (it == q.waiting.end()) return;
  const auto position = static_cast<std::uint32_t>(std::distance(q.waiting.begin(), it) + 1);
  std::int64_t staffed = 0;
  for (AgentId m : q.members) {
    if (agents_[m.value].presence != Presence::kLoggedOut) ++staffed;
  }
  // Everyone ahead (and this caller) needs one handle time from one of the staffed
  // agents: a plain, explainable estimate rather than a model.
  const Duration estimate = q.handle_estimate * position / std::max<std::int64_t>(staffed, 1);
  commands_.emplace_back(PlayAnnouncement{rec.id, position, estimate});
}

void Acd::forget(InteractionId id) {
  auto it = interactions_.find(id);
  if (it == interactions_.end()) return;
  cancel_timer(it->second.ring_timer);
  for (TimerId t : it->second.queue_timers) {
    if (timers_.erase(t) > 0) commands_.emplace_back(CancelTimer{t});
  }
  interactions_.erase(it);
}

void Acd::timer_fired(TimerId timer) {
  auto it = timers_.find(timer);
  if (it == timers_.end()) return;  // cancelled, or fired twice: harmless
  const TimerTarget target = it->second;
  timers_.erase(it);
  if (target.kind == TimerKind::kWrapup) {
    AgentRec* a = find_agent(AgentId{static_cast<std::uint32_t>(target.subject)});
    if (a && a->wrapup_timer == timer) {
      a->wrapup_timer.reset();
      finish_wrapup(AgentId{static_cast<std::uint32_t>(target.subject)}, false);
    }
  } else {
    InteractionRec* rec = find_interaction(InteractionId{target.subject});
    if (!rec) return;
    if (target.kind == TimerKind::kRing) {
      if (rec->ring_timer == timer) {
        rec->ring_timer.reset();
        on_ring_timeout(*rec);
      }
    } else {
      std::erase(rec->queue_timers, timer);
      on_queue_timer(*rec, target);
    }
  }
  dispatch();
}

}  // namespace hotline::cc
