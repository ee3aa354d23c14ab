// RTCP sender and receiver reports (RFC 3550 §6.4) with the SDES CNAME every compound
// packet needs: a builder and an error-value parser. Socket-free; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace hotline::media {

struct ReportBlock {
  std::uint32_t ssrc = 0;
  std::uint8_t fraction_lost = 0;    // fixed point, /256
  std::int32_t cumulative_lost = 0;  // 24-bit signed on the wire
  std::uint32_t extended_highest_sequence = 0;
  std::uint32_t jitter = 0;               // timestamp units
  std::uint32_t last_sr = 0;              // middle 32 bits of the NTP time of the last SR
  std::uint32_t delay_since_last_sr = 0;  // 1/65536 s
  bool operator==(const ReportBlock&) const = default;
};

struct SenderInfo {
  std::uint64_t ntp_timestamp = 0;
  std::uint32_t rtp_timestamp = 0;
  std::uint32_t packet_count = 0;
  std::uint32_t octet_count = 0;
  bool operator==(const SenderInfo&) const = default;
};

struct RtcpReport {
  std::uint32_t ssrc = 0;
  std::optional<SenderInfo> sender;  // set for SR, empty for RR
  std::vector<ReportBlock> blocks;
  bool operator==(const RtcpReport&) const = default;
};

struct RtcpCompound {
  std::vector<RtcpReport> reports;
  std::optional<std::string> cname;
  bool bye = false;
};

// A compound packet: SR (when `report.sender`) or RR, then SDES with CNAME.
// At most 31 blocks are written (the count field's limit).
void build_rtcp(const RtcpReport& report, std::string_view cname, std::vector<std::uint8_t>& out);
// Adds a BYE for `ssrc` to a compound packet built by build_rtcp.
void append_rtcp_bye(std::uint32_t ssrc, std::vector<std::uint8_t>& out);

// Parses a compound packet; unknown packet types (APP, feedback) are skipped by length.
Result<RtcpCompound> parse_rtcp(std::span<const std::uint8_t> datagram);

// Round-trip time in ms from a report block about our stream, given when it arrived as an
// NTP timestamp; nullopt without a prior SR (lsr == 0).
std::optional<double> round_trip_ms(const ReportBlock& block, std::uint64_t arrival_ntp);
// The middle 32 bits of an NTP timestamp, as LSR carries it.
inline std::uint32_t ntp_middle(std::uint64_t ntp) {
  return static_cast<std::uint32_t>(ntp >> 16);
}

}  // namespace hotline::media
