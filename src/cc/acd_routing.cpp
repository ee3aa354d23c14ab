// Acd: matching. An interaction that becomes routable is offered by its queue's
// strategy; an agent who becomes free takes the interaction chosen by the
// queue-selection rule (selection.hpp). dispatch() runs both until nothing moves.
#include <algorithm>
#include <unordered_set>

#include "cc/acd.hpp"
#include "cc/selection.hpp"
#include "cc/strategy.hpp"

namespace hotline::cc {
namespace {

bool contains(const std::vector<AgentId>& v, AgentId a) {
  return std::find(v.begin(), v.end(), a) != v.end();
}

bool is_routable(InteractionPhase p) {
  return p == InteractionPhase::kWaiting || p == InteractionPhase::kCallbackWait;
}

}  // namespace

bool Acd::can_take(const AgentRec& a, Channel channel) const {
  if (a.presence != Presence::kReady || a.wrapup_timer) return false;
  const auto ch = static_cast<std::size_t>(channel);
  if (a.config.capacity[ch] <= 0) return false;
  const auto voice = static_cast<std::size_t>(Channel::kVoice);
  if (channel == Channel::kVoice) {
    for (int l : a.load) {
      if (l > 0) return false;
    }
    return true;
  }
  return a.load[voice] == 0 && a.load[ch] < a.config.capacity[ch];
}

bool Acd::qualifies(const AgentRec& a, const InteractionRec& rec) const {
  for (const auto& req : rec.spec.skills) {
    const int needed = req.min_level - rec.relaxed_by;
    if (needed <= 0) continue;
    const auto it = std::find_if(a.config.skills.begin(), a.config.skills.end(),
                                 [&](const SkillLevel& s) { return s.skill == req.skill; });
    if (it == a.config.skills.end() || it->level < needed) return false;
  }
  return true;
}

void Acd::route_interaction(InteractionRec& rec) {
  if (!is_routable(rec.phase)) return;
  const Channel channel = rec.spec.channel;
  const QueueRec& primary = queues_[rec.spec.queue.value];
  const Strategy strategy = primary.config.strategy;
  const bool wants_random = strategy == Strategy::kRandom || strategy == Strategy::kWeightedRandom;
  const MonoTime now = clock_.mono();

  std::vector<AgentSnapshot> snaps;
  std::unordered_set<AgentId> seen;
  auto collect = [&](QueueId qid) {
    const QueueRec& q = queues_[qid.value];
    for (std::uint32_t i = 0; i < q.members.size(); ++i) {
      const AgentId id = q.members[i];
      const AgentRec& a = agents_[id.value];
      if (!can_take(a, channel) || !qualifies(a, rec)) continue;
      if (!rec.extra_targets.empty() && !seen.insert(id).second) continue;
      int penalty = 0;
      int score = 0;
      for (const auto& m : a.config.memberships) {
        if (m.queue == qid) penalty = m.penalty;
      }
      for (const auto& req : rec.spec.skills) {
        for (const auto& s : a.config.skills) {
          if (s.skill == req.skill) score += s.level;
        }
      }
      snaps.push_back({id, i, penalty, now - a.idle_since, a.calls_answered, a.talk_time, score,
                       wants_random ? rng_() : 0});
    }
  };
  collect(rec.spec.queue);
  for (QueueId q : rec.extra_targets) collect(q);
  if (snaps.empty()) return;

  // Redirect on no answer moves on to agents not yet tried in this visit; only when
  // every free agent has had it does the offer come round again.
  if (std::any_of(snaps.begin(), snaps.end(),
                  [&](const AgentSnapshot& s) { return !contains(rec.tried, s.agent); })) {
    std::erase_if(snaps, [&](const AgentSnapshot& s) { return contains(rec.tried, s.agent); });
  }
  const StrategyContext ctx{static_cast<std::uint32_t>(primary.members.size()),
                            primary.round_robin_next};
  std::vector<AgentId> chosen = choose_agents(strategy, snaps, ctx);
  if (rec.phase == InteractionPhase::kCallbackWait) chosen.resize(1);
  offer(rec, chosen);
}

void Acd::offer(InteractionRec& rec, const std::vector<AgentId>& chosen) {
  const MonoTime now = clock_.mono();
  QueueRec& q = queues_[rec.spec.queue.value];
  remove_from_waiting(rec);
  rec.offered_at = now;
  for (AgentId id : chosen) {
    if (auto it = q.member_index.find(id); it != q.member_index.end()) {
      q.round_robin_next = it->second + 1;
    }
  }

  if (rec.phase == InteractionPhase::kCallbackWait) {
    const AgentId id = chosen.front();
    AgentRec& a = agents_[id.value];
    rec.phase = InteractionPhase::kCallingBack;
    rec.agent = id;
    a.offers.push_back(rec.id);
    a.load[static_cast<std::size_t>(rec.spec.channel)]++;
    emit(InteractionOffered{{}, rec.id, rec.spec.queue, id, true});
    emit(InteractionCalledBack{
        {}, rec.id, rec.spec.queue, id, rec.visit, waited(rec), rec.callback_number});
    end_visit(rec);
    commands_.emplace_back(PlaceCallback{rec.id, id, rec.callback_number, a.config.devices});
    refresh(id, "callback");
    return;
  }

  rec.phase = InteractionPhase::kOffering;
  rec.ringing = chosen;
  for (AgentId id : chosen) {
    AgentRec& a = agents_[id.value];
    a.offers.push_back(rec.id);
    a.load[static_cast<std::size_t>(rec.spec.channel)]++;
    if (!contains(rec.tried, id)) rec.tried.push_back(id);
    commands_.emplace_back(OfferToAgent{rec.id, id, a.config.devices});
    emit(InteractionOffered{{}, rec.id, rec.spec.queue, id, false});
    refresh(id, "offered");
  }
  rec.ring_timer = start_timer(q.config.ring_timeout, {TimerKind::kRing, rec.id.value, 0});
}

void Acd::withdraw_offers(InteractionRec& rec, std::optional<AgentId> except) {
  const std::vector<AgentId> ringing = std::exchange(rec.ringing, {});
  for (AgentId id : ringing) {
    if (except && id == *except) {
      rec.ringing.push_back(id);
      continue;
    }
    commands_.emplace_back(CancelOffer{rec.id, id});
    release(id, rec.id);
  }
}

void Acd::release(AgentId id, InteractionId interaction) {
  AgentRec& a = agents_[id.value];
  const auto before = a.offers.size();
  std::erase(a.offers, interaction);
  if (a.offers.size() != before) {
    const InteractionRec* rec = find_interaction(interaction);
    a.load[static_cast<std::size_t>(rec ? rec->spec.channel : Channel::kVoice)]--;
  }
  refresh(id, "offer ended");
}

void Acd::route_agent(AgentId id) {
  AgentRec& a = agents_[id.value];
  const MonoTime now = clock_.mono();
  // Each pass hands out one interaction; the agent may have room for more (chat).
  for (;;) {
    std::vector<WaitingCandidate> candidates;
    for (const auto& m : a.config.memberships) {
      const QueueRec& q = queues_[m.queue.value];
      for (const WaitKey& key : q.waiting) {
        const InteractionRec& rec = interactions_.at(key.interaction);
        if (!can_take(a, rec.spec.channel) || !qualifies(a, rec)) continue;
        candidates.push_back(
            {rec.id, rec.spec.priority, q.config.priority, now - rec.entered, rec.sequence});
        break;  // the first eligible in a queue's order is that queue's best
      }
    }
    const auto pick = pick_waiting(candidates);
    if (!pick) return;
    InteractionRec& rec = interactions_.at(candidates[*pick].interaction);
    route_interaction(rec);
    if (is_routable(rec.phase)) return;  // nothing could be offered: stop, don't spin
  }
}

void Acd::dispatch() {
  while (!route_interactions_.empty() || !route_agents_.empty()) {
    for (InteractionId id : std::exchange(route_interactions_, {})) {
      if (InteractionRec* rec = find_interaction(id)) route_interaction(*rec);
    }
    for (AgentId id : std::exchange(route_agents_, {})) route_agent(id);
  }
}

}  // namespace hotline::cc
