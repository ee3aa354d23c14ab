#include "media/tones.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>

#include "media/resampler.hpp"

extern "C" {
#include <spandsp.h>
}

namespace hotline::media {
namespace {

constexpr int kToneRate = 8000;

class ToneSource final : public AudioSource {
 public:
  ToneSource() = default;
  ~ToneSource() override {
    if (gen_) tone_gen_free(gen_);
    if (desc_) tone_gen_descriptor_free(desc_);
  }
  Status init(const ToneSpec& s, int sample_rate) {
    // repeat=1: the cadence loops for as long as the tone is played.
    desc_ = tone_gen_descriptor_init(nullptr, s.f1, s.level_dbm0, s.f2, s.level_dbm0, s.on1_ms,
                                     s.off1_ms, s.on2_ms, s.off2_ms, 1);
    if (!desc_) return fail(ErrorCode::kInternal, "spandsp tone descriptor failed");
    gen_ = tone_gen_init(nullptr, desc_);
    if (!gen_) return fail(ErrorCode::kInternal, "spandsp tone generator failed");
    if (sample_rate != kToneRate) {
      auto r = Resampler::create(kToneRate, sample_rate);
      if (!r) return std::unexpected(r.error());
      resampler_.emplace(std::move(*r));
    }
    return {};
  }

  std::size_t read(std::span<std::int16_t> out) override {
    if (!resampler_) {
      tone_gen(gen_, out.data(), static_cast<int>(out.size()));
      return out.size();
    }
    while (pending_.size() < out.size()) {
      std::array<std::int16_t, 160> chunk{};
      tone_gen(gen_, chunk.data(), static_cast<int>(chunk.size()));
      resampler_->process(chunk, pending_);
    }
    std::copy_n(pending_.begin(), out.size(), out.begin());
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(out.size()));
    return out.size();
  }
  bool finished() const override { return false; }

 private:
  tone_gen_descriptor_t* desc_ = nullptr;
  tone_gen_state_t* gen_ = nullptr;
  std::optional<Resampler> resampler_;
  std::vector<std::int16_t> pending_;
};

}  // namespace

Result<ToneSpec> tone_spec(std::string_view country, ToneKind kind) {
  // Sources: ITU-T E.180 supplement 2 (national tones).
  if (country == "us" || country == "ca") {
    switch (kind) {
      case ToneKind::kRingback: return ToneSpec{440, 480, 2000, 4000, 0, 0};
      case ToneKind::kBusy: return ToneSpec{480, 620, 500, 500, 0, 0};
      case ToneKind::kCongestion: return ToneSpec{480, 620, 250, 250, 0, 0};
    }
  }
  if (country == "uk" || country == "gb") {
    switch (kind) {
      case ToneKind::kRingback: return ToneSpec{400, 450, 400, 200, 400, 2000};
      case ToneKind::kBusy: return ToneSpec{400, 0, 375, 375, 0, 0};
      case ToneKind::kCongestion: return ToneSpec{400, 0, 400, 350, 225, 525};
    }
  }
  if (country == "de") {
    switch (kind) {
      case ToneKind::kRingback: return ToneSpec{425, 0, 1000, 4000, 0, 0};
      case ToneKind::kBusy: return ToneSpec{425, 0, 480, 480, 0, 0};
      case ToneKind::kCongestion: return ToneSpec{425, 0, 240, 240, 0, 0};
    }
  }
  if (country == "eu" || country == "fr" || country == "nl") {
    switch (kind) {
      case ToneKind::kRingback:
        return country == "fr" ? ToneSpec{440, 0, 1500, 3500, 0, 0}
                               : ToneSpec{425, 0, 1000, 4000, 0, 0};
      case ToneKind::kBusy:
        return country == "fr" ? ToneSpec{440, 0, 500, 500, 0, 0}
                               : ToneSpec{425, 0, 500, 500, 0, 0};
      case ToneKind::kCongestion: return ToneSpec{425, 0, 250, 250, 0, 0};
    }
  }
  return fail(ErrorCode::kNotFound, "no tone profile for country '" + std::string(country) + "'");
}

Result<std::unique_ptr<AudioSource>> make_tone_source(const ToneSpec& spec, int sample_rate) {
  if (spec.f1 <= 0 || spec.f1 >= 4000 || spec.f2 < 0 || spec.f2 >= 4000 || spec.on1_ms <= 0)
    return fail(ErrorCode::kInvalidArgument, "bad tone spec");
  auto t = std::make_unique<ToneSource>();
  if (auto st = t->init(spec, sample_rate); !st) return std::unexpected(st.error());
  return t;
}

Result<std::unique_ptr<AudioSource>> make_tone_source(std::string_view country, ToneKind kind,
                                                      int sample_rate) {
  auto spec = tone_spec(country, kind);
  if (!spec) return std::unexpected(spec.error());
  return make_tone_source(*spec, sample_rate);
}

}  // namespace hotline::media
