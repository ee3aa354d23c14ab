// In-band DTMF: detection of key tones in decoded audio (spandsp's detector) for phones
// that do not send RFC 4733 events, and generation of key tones for peers that need them.
// One instance per stream, used by one thread (thread-compatible).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "media/dtmf.hpp"
#include "media/resampler.hpp"

namespace hotline::media {

class InbandDtmfDetector {
 public:
  // `sample_rate` of the audio fed in; spandsp works at 8 kHz so other rates are resampled.
  static Result<InbandDtmfDetector> create(int sample_rate = 8000);
  InbandDtmfDetector(InbandDtmfDetector&&) noexcept;
  InbandDtmfDetector& operator=(InbandDtmfDetector&&) noexcept;
  ~InbandDtmfDetector();

  // Feeds decoded audio; returns the digits whose tone ended within it, each once, with
  // the measured duration (detector resolution is about 13 ms).
  std::vector<DtmfDigit> process(std::span<const std::int16_t> pcm);

 private:
  struct State;
  explicit InbandDtmfDetector(std::unique_ptr<State> s);
  std::unique_ptr<State> state_;
};

// Generates DTMF key tones (spandsp) at 8 kHz, then converted to `sample_rate`.
// Each digit sounds `on_ms` followed by `off_ms` of silence.
Result<std::vector<std::int16_t>> generate_dtmf(std::string_view digits, int sample_rate = 8000,
                                                int on_ms = 100, int off_ms = 100);

}  // namespace hotline::media
