#include "media/resampler.hpp"

#include <speex/speex_resampler.h>

#include <string>

namespace hotline::media {

struct Resampler::State {
  SpeexResamplerState* st = nullptr;
  ~State() {
    if (st) speex_resampler_destroy(st);
  }
};

Resampler::Resampler(std::unique_ptr<State> s, int in_rate, int out_rate)
    : state_(std::move(s)), in_rate_(in_rate), out_rate_(out_rate) {}
Resampler::Resampler(Resampler&&) noexcept = default;
Resampler& Resampler::operator=(Resampler&&) noexcept = default;
Resampler::~Resampler() = default;

Result<Resampler> Resampler::create(int in_rate, int out_rate, int quality) {
  if (in_rate < 1000 || in_rate > 192000 || out_rate < 1000 || out_rate > 192000)
    return fail(ErrorCode::kInvalidArgument, "resampler: rate out of range");
  if (quality < 0 || quality > 10)
    return fail(ErrorCode::kInvalidArgument, "resampler: bad quality");
  int err = 0;
  auto s = std::make_unique<State>();
  s->st = speex_resampler_init(1, static_cast<spx_uint32_t>(in_rate),
                               static_cast<spx_uint32_t>(out_rate), quality, &err);
  if (!s->st || err != RESAMPLER_ERR_SUCCESS)
    return fail(ErrorCode::kInternal, std::string("resampler: ") + speex_resampler_strerror(err));
  speex_resampler_skip_zeros(s->st);  // no leading run of zeros from the filter delay
  return Resampler(std::move(s), in_rate, out_rate);
}

void Resampler::process(std::span<const std::int16_t> in, std::vector<std::int16_t>& out) {
  if (in.empty()) return;
  if (in_rate_ == out_rate_) {
    out.insert(out.end(), in.begin(), in.end());
    return;
  }
  const std::size_t base = out.size();
  const std::size_t room =
      in.size() * static_cast<std::size_t>(out_rate_) / static_cast<std::size_t>(in_rate_) + 16;
  out.resize(base + room);
  std::size_t produced = 0;
  std::size_t consumed = 0;
  while (consumed < in.size()) {
    spx_uint32_t in_len = static_cast<spx_uint32_t>(in.size() - consumed);
    spx_uint32_t out_len = static_cast<spx_uint32_t>(out.size() - base - produced);
    if (out_len == 0) {
      out.resize(out.size() + 64);
      continue;
    }
    speex_resampler_process_int(state_->st, 0, in.data() + consumed, &in_len,
                                out.data() + base + produced, &out_len);
    consumed += in_len;
    produced += out_len;
    if (in_len == 0 && out_len == 0) break;
  }
  out.resize(base + produced);
}

int Resampler::input_latency() const {
  return speex_resampler_get_input_latency(state_->st);
}

Result<std::vector<std::int16_t>> resample_all(std::span<const std::int16_t> in, int in_rate,
                                               int out_rate, int quality) {
  auto r = Resampler::create(in_rate, out_rate, quality);
  if (!r) return std::unexpected(r.error());
  if (in_rate == out_rate) return std::vector<std::int16_t>(in.begin(), in.end());
  std::vector<std::int16_t> out;
  r->process(in, out);
  // Push zeros through to drain the filter's delay line, then trim to the exact length.
  std::vector<std::int16_t> zeros(static_cast<std::size_t>(r->input_latency()) + 1, 0);
  r->process(zeros, out);
  const std::size_t want =
      in.size() * static_cast<std::size_t>(out_rate) / static_cast<std::size_t>(in_rate);
  out.resize(want, 0);
  return out;
}

}  // namespace hotline::media
