// Adaptive playout (jitter) buffer for one received RTP stream, over speexdsp's jitter
// buffer: packets go in as they arrive, in any order; one frame comes out per playout
// tick, in timestamp order, or a "missing" verdict for the decoder to conceal.
// Bounded: speexdsp holds at most 200 packets; late packets are discarded.
// Thread-compatible: the media thread that owns the stream calls both ends.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/error.hpp"

namespace hotline::media {

enum class PlayoutResult {
  kFrame,    // `payload` holds the next frame
  kMissing,  // nothing for this tick: conceal (codec PLC) or play silence
};

class JitterBuffer {
 public:
  // `frame_units`: RTP timestamp units per frame (160 for 20 ms at 8 kHz).
  static Result<JitterBuffer> create(std::uint32_t frame_units);
  JitterBuffer(JitterBuffer&&) noexcept;
  JitterBuffer& operator=(JitterBuffer&&) noexcept;
  ~JitterBuffer();

  // Copies the payload in. Oversized payloads (> 1500 bytes) are refused.
  Status put(std::span<const std::uint8_t> payload, std::uint32_t timestamp,
             std::uint16_t sequence);
  // Called once per frame interval: yields the frame due now. Advances the playout clock.
  PlayoutResult get(std::vector<std::uint8_t>& payload, std::uint32_t* timestamp = nullptr);
  // Packets currently held.
  int buffered() const;
  void reset();

 private:
  struct State;
  explicit JitterBuffer(std::unique_ptr<State> s);
  std::unique_ptr<State> state_;
};

}  // namespace hotline::media
