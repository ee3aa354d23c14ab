// Receive-side RTP statistics per RFC 3550 appendix A: extended sequence numbers with
// wrap, misorder and restart handling (A.1), loss counts and fractions (A.3), interarrival
// jitter (A.8), SSRC changes. Feeds RTCP report blocks and the call record's loss/jitter
// figures. Time is passed in, never read. Thread-compatible (one per received stream).
#pragma once

#include <cstdint>

#include "media/rtcp.hpp"
#include "media/rtp.hpp"

namespace hotline::media {

enum class RtpVerdict {
  kAccepted,     // in sequence, or a small reorder
  kNewSource,    // first packet, or the SSRC changed: statistics restarted
  kDuplicate,    // the same sequence number as the newest packet: drop
  kLate,         // older than the newest, within the misorder window: counted as received
  kBadSequence,  // a large jump; accepted as a restart only if the next packet follows it
};

class RtpReceiveStats {
 public:
  explicit RtpReceiveStats(int clock_rate) : clock_rate_(clock_rate) {}

  // `arrival_us`: arrival time on any monotonic microsecond clock.
  RtpVerdict on_packet(const RtpHeader& h, std::int64_t arrival_us);

  std::uint32_t ssrc() const { return ssrc_; }
  std::uint64_t received() const { return received_; }
  std::uint32_t extended_max_sequence() const { return cycles_ + max_seq_; }
  std::int64_t expected() const;
  // Negative when duplicates outnumber losses (RFC 3550 allows it).
  std::int64_t cumulative_lost() const { return expected() - static_cast<std::int64_t>(received_); }
  double jitter_ms() const { return jitter_ / 16.0 * 1000.0 / clock_rate_; }
  // The jitter in timestamp units as RTCP carries it.
  std::uint32_t jitter_units() const { return static_cast<std::uint32_t>(jitter_ / 16.0); }

  // A report block for this source; updates the "since last report" baseline (A.3).
  // `lsr`/`dlsr` come from the last SR received from this source (0 if none).
  ReportBlock make_report_block(std::uint32_t lsr = 0, std::uint32_t dlsr = 0);

 private:
  void restart(std::uint16_t seq);

  int clock_rate_;
  bool started_ = false;
  std::uint32_t ssrc_ = 0;
  std::uint16_t max_seq_ = 0;
  std::uint32_t cycles_ = 0;  // count of wraps, shifted left 16
  std::uint32_t base_seq_ = 0;
  std::uint32_t bad_seq_ = 0x10001;  // an impossible sequence number
  std::uint64_t received_ = 0;
  std::int64_t expected_prior_ = 0;
  std::uint64_t received_prior_ = 0;
  double jitter_ = 0.0;  // scaled by 16 as in A.8
  bool have_transit_ = false;
  std::int64_t last_transit_ = 0;
};

}  // namespace hotline::media
