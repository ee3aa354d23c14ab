// Audio codecs behind one small interface: 20 ms frames of 16-bit mono PCM in, RTP
// payload out, and back. G.711 via spandsp's tables, G.722 via spandsp, Opus via libopus.
// A codec instance holds per-stream state: one per direction of one call, used by one
// thread at a time (thread-compatible, not thread-safe).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "common/error.hpp"
#include "media/sdp_negotiation.hpp"

namespace hotline::media {

inline constexpr int kFrameMs = 20;

class AudioCodec {
 public:
  virtual ~AudioCodec() = default;
  AudioCodec() = default;
  AudioCodec(const AudioCodec&) = delete;
  AudioCodec& operator=(const AudioCodec&) = delete;

  virtual CodecId id() const = 0;
  int payload_type() const { return payload_type_; }
  // Rate of the PCM this codec consumes and produces.
  virtual int sample_rate() const = 0;
  // Rate of RTP timestamps (8000 for G.722, 48000 for Opus whatever its PCM rate).
  virtual int rtp_clock_rate() const = 0;
  int frame_samples() const { return sample_rate() * kFrameMs / 1000; }
  // RTP timestamp increment for one frame.
  int frame_timestamp_step() const { return rtp_clock_rate() * kFrameMs / 1000; }

  // Encodes exactly frame_samples() samples; returns payload bytes written to `out`.
  virtual Result<std::size_t> encode(std::span<const std::int16_t> pcm,
                                     std::span<std::uint8_t> out) = 0;
  // Decodes one payload; returns samples written to `out`. Bad payloads are errors.
  virtual Result<std::size_t> decode(std::span<const std::uint8_t> payload,
                                     std::span<std::int16_t> out) = 0;

 protected:
  int payload_type_ = 0;
};

struct CodecOptions {
  int opus_sample_rate = 48000;  // 8000, 12000, 16000, 24000 or 48000
  int opus_bitrate = 24000;
  int opus_complexity = 10;  // 0..10: encoder CPU against quality (libopus default 10)
};

// Largest payload any codec here writes for a 20 ms frame (G.722: 160; Opus bounded).
inline constexpr std::size_t kMaxEncodedFrameBytes = 1275;

Result<std::unique_ptr<AudioCodec>> make_codec(const CodecSpec& spec,
                                               const CodecOptions& options = {});

}  // namespace hotline::media
