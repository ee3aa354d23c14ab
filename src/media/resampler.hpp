// Sample-rate conversion of 16-bit mono PCM (speexdsp). Streaming: filter state carries
// across calls so consecutive 20 ms frames join without clicks. Thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/error.hpp"

namespace hotline::media {

class Resampler {
 public:
  // quality 0 (cheap) .. 10 (best); 3 is speexdsp's VoIP default.
  static Result<Resampler> create(int in_rate, int out_rate, int quality = 3);
  Resampler(Resampler&&) noexcept;
  Resampler& operator=(Resampler&&) noexcept;
  ~Resampler();

  int in_rate() const { return in_rate_; }
  int out_rate() const { return out_rate_; }
  // Converts all of `in`, appending to `out`; the output count follows the rate ratio
  // (the filter delay means the first call yields a little less).
  void process(std::span<const std::int16_t> in, std::vector<std::int16_t>& out);
  std::vector<std::int16_t> process(std::span<const std::int16_t> in) {
    std::vector<std::int16_t> out;
    process(in, out);
    return out;
  }
  // Samples of delay the filter adds at the input rate.
  int input_latency() const;

 private:
  struct State;
  Resampler(std::unique_ptr<State> s, int in_rate, int out_rate);
  std::unique_ptr<State> state_;
  int in_rate_ = 0;
  int out_rate_ = 0;
};

// One-shot conversion of a whole buffer (for prompts loaded from files); flushes the
// filter tail so the output length is in_samples * out_rate / in_rate.
Result<std::vector<std::int16_t>> resample_all(std::span<const std::int16_t> in, int in_rate,
                                               int out_rate, int quality = 5);

}  // namespace hotline::media
