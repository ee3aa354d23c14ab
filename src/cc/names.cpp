// String names of the small ACD enums, as they appear in events and config.
#include "cc/agent.hpp"
#include "cc/ids.hpp"
#include "cc/interaction.hpp"

namespace hotline::cc {

std::string_view to_string(Channel channel) {
  switch (channel) {
    case Channel::kVoice: return "voice";
    case Channel::kChat: return "chat";
    case Channel::kEmail: return "email";
  }
  return "unknown";
}

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::kAnswered: return "answered";
    case Outcome::kAbandoned: return "abandoned";
    case Outcome::kTimedOut: return "timed_out";
    case Outcome::kOverflowed: return "overflowed";
    case Outcome::kCalledBack: return "called_back";
  }
  return "unknown";
}

std::string_view to_string(AgentState state) {
  switch (state) {
    case AgentState::kLoggedOut: return "logged_out";
    case AgentState::kReady: return "ready";
    case AgentState::kNotReady: return "not_ready";
    case AgentState::kReserved: return "reserved";
    case AgentState::kBusy: return "busy";
    case AgentState::kWrapUp: return "wrap_up";
  }
  return "unknown";
}

}  // namespace hotline::cc
