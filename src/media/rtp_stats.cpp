#include "media/rtp_stats.hpp"

#include <algorithm>
#include <cmath>

namespace hotline::media {
namespace {
constexpr std::uint16_t kMaxDropout = 3000;
constexpr std::uint16_t kMaxMisorder = 100;
constexpr std::uint32_t kSeqMod = 1u << 16;
}  // namespace

void RtpReceiveStats::restart(std::uint16_t seq) {
  base_seq_ = seq;
  max_seq_ = seq;
  bad_seq_ = kSeqMod + 1;
  cycles_ = 0;
  received_ = 0;
  received_prior_ = 0;
  expected_prior_ = 0;
}

std::int64_t RtpReceiveStats::expected() const {
  if (!started_) return 0;
  return static_cast<std::int64_t>(extended_max_sequence()) - static_cast<std::int64_t>(base_seq_) +
         1;
}

RtpVerdict RtpReceiveStats::on_packet(const RtpHeader& h, std::int64_t arrival_us) {
  RtpVerdict verdict = RtpVerdict::kAccepted;
  if (!started_ || h.ssrc != ssrc_) {
    started_ = true;
    ssrc_ = h.ssrc;
    restart(h.sequence);
    jitter_ = 0.0;
    have_transit_ = false;
    verdict = RtpVerdict::kNewSource;
  } else {
    const std::uint16_t seq = h.sequence;
    const std::uint16_t udelta = static_cast<std::uint16_t>(seq - max_seq_);
    if (udelta == 0) {
      return RtpVerdict::kDuplicate;
    } else if (udelta < kMaxDropout) {
      if (seq < max_seq_) cycles_ += kSeqMod;  // wrapped
      max_seq_ = seq;
    } else if (udelta <= kSeqMod - kMaxMisorder) {
      // A big jump: the sender may have restarted. Believe it if the next packet follows.
      if (seq == bad_seq_) {
        restart(seq);
      } else {
        bad_seq_ = (static_cast<std::uint32_t>(seq) + 1) & (kSeqMod - 1);
        return RtpVerdict::kBadSequence;
      }
    } else {
      // Reordered within the misorder window: counted as received, as A.1 does, so that
      // reordering is not reported as loss; a jitter buffer may still place it.
      ++received_;
      return RtpVerdict::kLate;
    }
  }
  ++received_;

  // A.8: jitter from the change in relative transit time, in timestamp units.
  const std::int64_t arrival_units = arrival_us * clock_rate_ / 1'000'000;
  const std::int64_t transit = arrival_units - static_cast<std::int64_t>(h.timestamp);
  if (have_transit_) {
    const double d = std::fabs(static_cast<double>(transit - last_transit_));
    jitter_ += d - (jitter_ + 8.0) / 16.0;
  }
  last_transit_ = transit;
  have_transit_ = true;
  return verdict;
}

ReportBlock RtpReceiveStats::make_report_block(std::uint32_t lsr, std::uint32_t dlsr) {
  ReportBlock b;
  b.ssrc = ssrc_;
  const std::int64_t expected_now = expected();
  const std::int64_t expected_interval = expected_now - expected_prior_;
  const std::int64_t received_interval = static_cast<std::int64_t>(received_ - received_prior_);
  expected_prior_ = expected_now;
  received_prior_ = received_;
  const std::int64_t lost_interval = expected_interval - received_interval;
  b.fraction_lost = expected_interval <= 0 || lost_interval <= 0
                        ? 0
                        : static_cast<std::uint8_t>(std::min<std::int64_t>(
                              255, (lost_interval << 8) / expected_interval));
  b.cumulative_lost =
      static_cast<std::int32_t>(std::clamp<std::int64_t>(cumulative_lost(), -0x800000, 0x7fffff));
  b.extended_highest_sequence = extended_max_sequence();
  b.jitter = jitter_units();
  b.last_sr = lsr;
  b.delay_since_last_sr = dlsr;
  return b;
}

}  // namespace hotline::media
