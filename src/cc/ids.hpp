// Typed identifiers for the ACD model, so an agent id can never be passed where a
// queue id is expected. Plain values; safe to copy between threads.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string_view>

namespace hotline::cc {

template <typename Tag, typename Rep>
struct Id {
  Rep value = 0;
  friend constexpr auto operator<=>(Id, Id) = default;
};

using AgentId = Id<struct AgentTag, std::uint32_t>;
using QueueId = Id<struct QueueTag, std::uint32_t>;
using InteractionId = Id<struct InteractionTag, std::uint64_t>;
using TimerId = Id<struct TimerTag, std::uint64_t>;

// The medium of an interaction. Open on purpose: chat and email route through the
// same queues later; only voice is carried by the switch today.
enum class Channel : std::uint8_t { kVoice, kChat, kEmail };
inline constexpr std::size_t kChannelCount = 3;

std::string_view to_string(Channel channel);

}  // namespace hotline::cc

template <typename Tag, typename Rep>
struct std::hash<hotline::cc::Id<Tag, Rep>> {
  std::size_t operator()(hotline::cc::Id<Tag, Rep> id) const noexcept {
    return std::hash<Rep>{}(id.value);
  }
};
