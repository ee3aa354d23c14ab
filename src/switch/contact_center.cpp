#include "switch/contact_center.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <variant>

#include "common/log.hpp"

namespace hotline::sw {
namespace {

double seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Result<std::unique_ptr<ContactCenter>> ContactCenter::create(const Clock& clock, B2bua& b2bua,
                                                             ContactCenterSetup setup) {
  std::unique_ptr<ContactCenter> cc(new ContactCenter(clock, b2bua, std::move(setup)));
  for (const CcQueueSetup& q : cc->setup_.queues) {
    auto id = cc->acd_.add_queue(q.config);
    if (!id) return std::unexpected(id.error());
  }
  for (const cc::AgentConfig& a : cc->setup_.agents) {
    auto id = cc->acd_.add_agent(a);
    if (!id) return std::unexpected(id.error());
  }
  b2bua.set_queue_sink(cc.get());
  return cc;
}

ContactCenter::ContactCenter(const Clock& clock, B2bua& b2bua, ContactCenterSetup setup)
    : clock_(clock), b2bua_(b2bua), setup_(std::move(setup)), acd_(clock, setup_.acd) {
  for (std::size_t i = 0; i < setup_.queues.size(); ++i) {
    queue_by_name_.try_emplace(setup_.queues[i].config.name,
                               cc::QueueId{static_cast<std::uint32_t>(i)});
  }
  for (std::size_t i = 0; i < setup_.agents.size(); ++i) {
    for (const std::string& device : setup_.agents[i].devices) {
      // An extension shared by two agents logs in the first (as before).
      agent_by_extension_.try_emplace(device, cc::AgentId{static_cast<std::uint32_t>(i)});
    }
  }
}

ContactCenter::~ContactCenter() {
  b2bua_.set_queue_sink(nullptr);
}

std::optional<cc::AgentId> ContactCenter::agent_by_name(std::string_view name) const {
  for (std::size_t i = 0; i < setup_.agents.size(); ++i) {
    if (setup_.agents[i].name == name) return cc::AgentId{static_cast<std::uint32_t>(i)};
  }
  return std::nullopt;
}

std::optional<cc::AgentId> ContactCenter::agent_by_extension(std::string_view extension) const {
  auto it = agent_by_extension_.find(std::string(extension));
  if (it == agent_by_extension_.end()) return std::nullopt;
  return it->second;
}

std::string ContactCenter::agent_name(cc::AgentId id) const {
  return id.value < setup_.agents.size() ? setup_.agents[id.value].name : std::string("?");
}

std::string ContactCenter::queue_name(cc::QueueId id) const {
  return id.value < setup_.queues.size() ? setup_.queues[id.value].config.name : std::string("?");
}

CallId ContactCenter::call_of(cc::InteractionId id) const {
  auto it = calls_.find(id);
  return it == calls_.end() ? 0 : it->second;
}

void ContactCenter::forget(cc::InteractionId id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  interactions_.erase(it->second);
  calls_.erase(it);
}

Status ContactCenter::set_presence(cc::AgentId agent, cc::Presence presence, std::string reason) {
  auto st = acd_.set_presence(agent, presence, std::move(reason));
  pump();
  return st;
}

// ---- From the B2BUA ---------------------------------------------------------

bool ContactCenter::enqueue(CallId call, const cc::ivr::RouteToQueue& route) {
  auto found = queue_by_name_.find(route.queue);
  if (found == queue_by_name_.end()) {
    log::warn("switch", "call routed to an unknown queue",
              {log::kv("call", call), log::kv("queue", route.queue)});
    return false;
  }
  const CcQueueSetup* queue = &setup_.queues[found->second.value];
  cc::InteractionSpec spec;
  spec.queue = found->second;
  spec.priority = std::clamp(route.priority, -cc::kMaxPriority, cc::kMaxPriority);
  spec.skills = queue->skills;
  // The IVR may ask for more (or higher) skills than the queue's own.
  for (const auto& [name, level] : route.skills) {
    auto skill = std::find(setup_.skills.begin(), setup_.skills.end(), name);
    if (skill == setup_.skills.end()) {
      log::warn("switch", "call asks for an unknown skill",
                {log::kv("call", call), log::kv("skill", name)});
      return false;
    }
    const auto id = static_cast<cc::SkillId>(skill - setup_.skills.begin());
    auto have = std::find_if(spec.skills.begin(), spec.skills.end(),
                             [&](const cc::SkillRequirement& r) { return r.skill == id; });
    if (have == spec.skills.end()) {
      spec.skills.push_back({id, level});
    } else {
      have->min_level = std::max(have->min_level, level);
    }
  }
  auto id = acd_.arrive(std::move(spec));
  if (!id) {
    pump();  // the interaction.rejected event
    return false;
  }
  interactions_[call] = *id;
  calls_[*id] = call;
  pump();
  return true;
}

void ContactCenter::agent_answered(CallId call, std::uint32_t tag) {
  auto it = interactions_.find(call);
  if (it == interactions_.end()) return;
  if (auto st = acd_.offer_answered(it->second, cc::AgentId{tag}); !st) {
    // The ACD withdrew the offer as the device answered: the call cannot be
    // placed consistently any more.
    log::warn("switch", "agent answered an offer the ACD no longer holds",
              {log::kv("call", call), log::kv("error", st.error().message)});
    pump();
    b2bua_.end_call(call, EndCause::kFailed);
    return;
  }
  pump();
}

void ContactCenter::call_ended(CallId call, EndCause, bool connected) {
  auto it = interactions_.find(call);
  if (it == interactions_.end()) return;
  const cc::InteractionId id = it->second;
  auto st = connected ? acd_.conversation_ended(id) : acd_.caller_hung_up(id);
  pump();
  // The outcome event forgot it; if the engine did not know it any more, do now.
  if (!st) forget(id);
}

FeatureReply ContactCenter::feature(std::string_view extension, const FeatureMatch& match) {
  FeatureReply reply;
  if (match.feature == Feature::kVoicemail) {
    return {501, "Voicemail is not available yet", {}};
  }
  auto agent = agent_by_extension(extension);
  if (!agent) return {404, "Not an agent", {}};
  const std::string& name = setup_.agents[agent->value].name;
  cc::Presence presence = cc::Presence::kReady;
  std::string reason;
  switch (match.feature) {
    case Feature::kAgentLogin:
      reply.prompt = fmt::format("Agent {} logged in and ready.", name);
      break;
    case Feature::kAgentReady: reply.prompt = "Ready."; break;
    case Feature::kAgentNotReady: {
      presence = cc::Presence::kNotReady;
      const auto& reasons = setup_.acd.not_ready_reasons;
      std::size_t index = 1;
      if (!match.argument.empty()) index = std::stoul(match.argument);
      if (index == 0 || index > reasons.size()) return {404, "Unknown reason code", {}};
      reason = reasons[index - 1];
      reply.prompt = fmt::format("Not ready: {}.", reason);
      break;
    }
    case Feature::kAgentLogout:
      presence = cc::Presence::kLoggedOut;
      reply.prompt = "Logged out.";
      break;
    case Feature::kVoicemail: break;
  }
  if (auto st = set_presence(*agent, presence, reason); !st) {
    return {403, st.error().message, {}};
  }
  return reply;
}

// ---- Timers -----------------------------------------------------------------

void AcdTimers::start(cc::TimerId id, MonoTime deadline) {
  auto [it, inserted] = by_id_.try_emplace(id, deadline);
  if (!inserted) {
    by_deadline_.erase({it->second, id});
    it->second = deadline;
  }
  by_deadline_.emplace(deadline, id);
}

bool AcdTimers::cancel(cc::TimerId id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return false;
  by_deadline_.erase({it->second, id});
  by_id_.erase(it);
  return true;
}

std::optional<MonoTime> AcdTimers::next() const {
  if (by_deadline_.empty()) return std::nullopt;
  return by_deadline_.begin()->first;
}

std::vector<std::pair<MonoTime, cc::TimerId>> AcdTimers::due(MonoTime now) const {
  return {by_deadline_.begin(), by_deadline_.upper_bound({now, cc::TimerId{UINT64_MAX}})};
}

bool AcdTimers::take(cc::TimerId id, MonoTime deadline) {
  auto it = by_id_.find(id);
  if (it == by_id_.end() || it->second != deadline) return false;
  by_deadline_.erase({deadline, id});
  by_id_.erase(it);
  return true;
}

void ContactCenter::on_timer(MonoTime now) {
  for (const auto& [deadline, id] : timers_.due(now)) {
    if (!timers_.take(id, deadline)) continue;  // cancelled or restarted by an earlier one
    acd_.timer_fired(id);
    pump();
  }
}

// ---- The engine's outputs ---------------------------------------------------

void ContactCenter::pump() {
  if (pumping_) return;  // the outer loop picks up what a nested input produced
  pumping_ = true;
  for (;;) {
    auto commands = acd_.take_commands();
    auto events = acd_.take_events();
    if (commands.empty() && events.empty()) break;
    // Commands first: an outcome event forgets the interaction's call, which a
    // command of the same step (MoveToExit) still needs.
    for (const cc::Command& c : commands) run(c);
    for (const cc::Event& e : events) publish(e);
  }
  pumping_ = false;
}

void ContactCenter::run(const cc::Command& command) {
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, cc::StartTimer>) {
          timers_.start(c.timer, c.deadline);
        } else if constexpr (std::is_same_v<T, cc::CancelTimer>) {
          timers_.cancel(c.timer);
        } else if constexpr (std::is_same_v<T, cc::OfferToAgent>) {
          if (CallId call = call_of(c.interaction)) {
            (void)b2bua_.ring_agent(call, c.devices, c.agent.value);
          }
        } else if constexpr (std::is_same_v<T, cc::CancelOffer>) {
          if (CallId call = call_of(c.interaction)) b2bua_.cancel_ring(call, c.agent.value);
        } else if constexpr (std::is_same_v<T, cc::HoldWithMusic>) {
          if (CallId call = call_of(c.interaction)) {
            cc::ivr::PlayFile music;
            music.file = "moh/" + c.music_class;
            b2bua_.hold(call, music);
          }
        } else if constexpr (std::is_same_v<T, cc::PlayAnnouncement>) {
          if (CallId call = call_of(c.interaction)) {
            const auto minutes = static_cast<long>(
                std::ceil(std::chrono::duration<double>(c.estimated_wait).count() / 60.0));
            cc::ivr::PlayTts tts;
            tts.text =
                fmt::format("You are number {} in line. Your expected wait is about {} minute{}.",
                            c.position, std::max(minutes, 1L), minutes > 1 ? "s" : "");
            b2bua_.announce(call, tts);
          }
        } else if constexpr (std::is_same_v<T, cc::MoveToExit>) {
          const CallId call = call_of(c.interaction);
          forget(c.interaction);
          if (call == 0) return;
          if (all_digits(c.destination)) {
            b2bua_.route_to_extension(call, c.destination);
          } else {
            b2bua_.end_call(call, EndCause::kQueueTimeout);
          }
        } else if constexpr (std::is_same_v<T, cc::PlaceCallback>) {
          // Keep-my-place callbacks need outbound calls placed by the switch;
          // until then the attempt fails at once and the agent is released.
          (void)acd_.callback_failed(c.interaction);
        }
      },
      command);
}

void ContactCenter::publish(const cc::Event& event) {
  CallId call = 0;
  std::visit(
      [&](const auto& e) {
        if constexpr (requires { e.interaction; }) call = call_of(e.interaction);
      },
      event);
  b2bua_.emit_event(cc::event_name(event), call, describe(event));
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, cc::InteractionAbandoned> ||
                      std::is_same_v<T, cc::InteractionEnded> ||
                      std::is_same_v<T, cc::InteractionTimedOut>) {
          forget(e.interaction);
        }
      },
      event);
}

nlohmann::json ContactCenter::describe(const cc::Event& event) const {
  nlohmann::json j = nlohmann::json::object();
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (requires { e.interaction; }) j["interaction"] = e.interaction.value;
        if constexpr (requires { e.queue; }) j["queue"] = queue_name(e.queue);
        if constexpr (requires { e.agent; }) j["agent"] = agent_name(e.agent);
        if constexpr (requires { e.visit; }) j["visit"] = e.visit;
        if constexpr (requires { e.wait; }) j["wait_s"] = seconds(e.wait);
        if constexpr (requires { e.ring_time; }) j["ring_s"] = seconds(e.ring_time);
        if constexpr (std::is_same_v<T, cc::InteractionQueued>) {
          j["priority"] = e.priority;
          j["position"] = e.position;
        } else if constexpr (std::is_same_v<T, cc::InteractionRejected>) {
          j["reason"] = e.reason;
        } else if constexpr (std::is_same_v<T, cc::InteractionOffered>) {
          j["callback"] = e.callback;
        } else if constexpr (std::is_same_v<T, cc::InteractionRona>) {
          j["declined"] = e.declined;
        } else if constexpr (std::is_same_v<T, cc::InteractionTimedOut>) {
          j["destination"] = e.destination;
        } else if constexpr (std::is_same_v<T, cc::InteractionOverflowed> ||
                             std::is_same_v<T, cc::InteractionTargetAdded>) {
          j["target"] = queue_name(e.target);
        } else if constexpr (std::is_same_v<T, cc::InteractionSkillsRelaxed>) {
          j["reduced_by"] = e.reduced_by;
        } else if constexpr (std::is_same_v<T, cc::InteractionCallbackRequested> ||
                             std::is_same_v<T, cc::InteractionCalledBack>) {
          j["number"] = e.number;
        } else if constexpr (std::is_same_v<T, cc::InteractionEnded>) {
          j["handle_s"] = seconds(e.handle_time);
        } else if constexpr (std::is_same_v<T, cc::AgentStateChanged>) {
          j["from"] = cc::to_string(e.from);
          j["to"] = cc::to_string(e.to);
          j["reason"] = e.reason;
        } else if constexpr (std::is_same_v<T, cc::AgentWrapupStarted>) {
          j["duration_s"] = seconds(e.duration);
        } else if constexpr (std::is_same_v<T, cc::AgentWrapupExtended>) {
          j["extra_s"] = seconds(e.extra);
        } else if constexpr (std::is_same_v<T, cc::AgentWrapupEnded>) {
          j["early"] = e.early;
        } else if constexpr (std::is_same_v<T, cc::AgentMissedOffersLimit>) {
          j["missed"] = e.missed;
        }
      },
      event);
  return j;
}

}  // namespace hotline::sw
