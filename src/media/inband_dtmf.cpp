#include "media/inband_dtmf.hpp"

#include <array>
#include <string>

extern "C" {
#include <spandsp.h>
}

namespace hotline::media {
namespace {
constexpr int kDetectorRate = 8000;
// Feed spandsp in small chunks so a tone's start/end is timed to the chunk.
constexpr std::size_t kChunk = 40;
}  // namespace

struct InbandDtmfDetector::State {
  dtmf_rx_state_t* rx = nullptr;
  std::optional<Resampler> resampler;
  std::uint64_t samples_seen = 0;  // at 8 kHz
  std::uint64_t chunk_end = 0;     // sample count at the end of the chunk being processed
  std::optional<std::uint64_t> tone_start;
  char tone_digit = 0;
  std::vector<DtmfDigit> found;

  ~State() {
    if (rx) dtmf_rx_free(rx);
  }

  static void on_tone(void* user, int code, int /*level*/, int /*delay*/) {
    auto* s = static_cast<State*>(user);
    if (code != 0) {
      if (s->tone_start && s->tone_digit != code) s->end_tone();
      if (!s->tone_start) {
        s->tone_start = s->chunk_end;
        s->tone_digit = static_cast<char>(code);
      }
    } else if (s->tone_start) {
      s->end_tone();
    }
  }

  void end_tone() {
    const auto samples = chunk_end - *tone_start;
    found.push_back(DtmfDigit{tone_digit, static_cast<int>(samples * 1000 / kDetectorRate),
                              DtmfSource::kInband});
    tone_start.reset();
  }

  void feed(std::span<const std::int16_t> pcm) {
    for (std::size_t off = 0; off < pcm.size(); off += kChunk) {
      const auto n = std::min(kChunk, pcm.size() - off);
      chunk_end = samples_seen + n;
      dtmf_rx(rx, pcm.data() + off, static_cast<int>(n));
      samples_seen += n;
    }
  }
};

InbandDtmfDetector::InbandDtmfDetector(std::unique_ptr<State> s) : state_(std::move(s)) {}
InbandDtmfDetector::InbandDtmfDetector(InbandDtmfDetector&&) noexcept = default;
InbandDtmfDetector& InbandDtmfDetector::operator=(InbandDtmfDetector&&) noexcept = default;
InbandDtmfDetector::~InbandDtmfDetector() = default;

Result<InbandDtmfDetector> InbandDtmfDetector::create(int sample_rate) {
  auto s = std::make_unique<State>();
  if (sample_rate != kDetectorRate) {
    auto r = Resampler::create(sample_rate, kDetectorRate);
    if (!r) return std::unexpected(r.error());
    s->resampler.emplace(std::move(*r));
  }
  // No digit-string callback: the realtime callback gives both edges, hence durations.
  s->rx = dtmf_rx_init(nullptr, nullptr, nullptr);
  if (!s->rx) return fail(ErrorCode::kInternal, "spandsp dtmf_rx_init failed");
  dtmf_rx_set_realtime_callback(s->rx, &State::on_tone, s.get());
  return InbandDtmfDetector(std::move(s));
}

std::vector<DtmfDigit> InbandDtmfDetector::process(std::span<const std::int16_t> pcm) {
  state_->found.clear();
  if (state_->resampler) {
    auto narrow = state_->resampler->process(pcm);
    state_->feed(narrow);
  } else {
    state_->feed(pcm);
  }
  return std::move(state_->found);
}

Result<std::vector<std::int16_t>> generate_dtmf(std::string_view digits, int sample_rate, int on_ms,
                                                int off_ms) {
  if (on_ms < 20 || on_ms > 10000 || off_ms < 0 || off_ms > 10000)
    return fail(ErrorCode::kInvalidArgument, "dtmf timing out of range");
  if (digits.size() > 64) return fail(ErrorCode::kInvalidArgument, "too many digits");
  for (char c : digits) {
    if (!dtmf_event_from_char(c))
      return fail(ErrorCode::kInvalidArgument, std::string("not a DTMF digit: '") + c + "'");
  }
  dtmf_tx_state_t* tx = dtmf_tx_init(nullptr);
  if (!tx) return fail(ErrorCode::kInternal, "spandsp dtmf_tx_init failed");
  dtmf_tx_set_timing(tx, on_ms, off_ms);
  std::string text(digits);
  for (char& c : text) {
    if (c >= 'a' && c <= 'd') c = static_cast<char>(c - 'a' + 'A');
  }
  dtmf_tx_put(tx, text.c_str(), static_cast<int>(text.size()));
  std::vector<std::int16_t> out;
  std::array<std::int16_t, 160> buf{};
  for (;;) {
    const int n = dtmf_tx(tx, buf.data(), static_cast<int>(buf.size()));
    if (n <= 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + n);
  }
  dtmf_tx_free(tx);
  if (sample_rate == kDetectorRate) return out;
  return resample_all(out, kDetectorRate, sample_rate);
}

}  // namespace hotline::media
