// RTP packets (RFC 3550 §5): an error-value parser over a received datagram (views into
// the caller's buffer, no copies), a serializer, and a packetizer that numbers outgoing
// packets. Socket-free; thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "common/error.hpp"

namespace hotline::media {

inline constexpr std::size_t kRtpHeaderBytes = 12;
inline constexpr std::size_t kMaxRtpPacketBytes = 1500;

struct RtpHeader {
  bool marker = false;
  std::uint8_t payload_type = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::uint8_t csrc_count = 0;
  std::array<std::uint32_t, 15> csrc{};
  bool has_extension = false;
  std::uint16_t extension_profile = 0;
};

// A parsed packet; `payload` and `extension` point into the datagram passed to parse_rtp.
struct RtpPacketView {
  RtpHeader header;
  std::span<const std::uint8_t> extension;  // extension data after its 4-byte header
  std::span<const std::uint8_t> payload;    // padding already removed
};

// Fails with kInvalidArgument naming the defect: short packet, version != 2, CSRC list or
// extension running past the end, bad padding count. RTCP (PT 200-204 with the marker
// bit) is not rejected here; demultiplex rtcp-mux traffic with looks_like_rtcp() first.
Result<RtpPacketView> parse_rtp(std::span<const std::uint8_t> datagram);
// RFC 5761 §4: payload-type byte 192..223 means RTCP on a muxed port.
bool looks_like_rtcp(std::span<const std::uint8_t> datagram);

// Appends header + payload to `out` (no extension, no padding).
void serialize_rtp(const RtpHeader& header, std::span<const std::uint8_t> payload,
                   std::vector<std::uint8_t>& out);

// Numbers an outgoing stream: sequence +1 per packet, timestamp advanced by the caller
// per frame (so silence suppression and DTMF events can hold or jump it).
class RtpPacketizer {
 public:
  RtpPacketizer(std::uint32_t ssrc, std::uint8_t payload_type, std::uint16_t first_sequence,
                std::uint32_t first_timestamp)
      : ssrc_(ssrc), payload_type_(payload_type), seq_(first_sequence), ts_(first_timestamp) {}

  // Builds the next packet at the current timestamp into `out` (cleared first).
  void build(std::span<const std::uint8_t> payload, bool marker, std::vector<std::uint8_t>& out,
             std::uint8_t payload_type_override = 0xff);
  void advance_timestamp(std::uint32_t units) { ts_ += units; }
  std::uint16_t next_sequence() const { return seq_; }
  std::uint32_t timestamp() const { return ts_; }
  std::uint32_t ssrc() const { return ssrc_; }
  std::uint64_t packets_sent() const { return packets_; }
  std::uint64_t octets_sent() const { return octets_; }

 private:
  std::uint32_t ssrc_;
  std::uint8_t payload_type_;
  std::uint16_t seq_;
  std::uint32_t ts_;
  std::uint64_t packets_ = 0;
  std::uint64_t octets_ = 0;
};

}  // namespace hotline::media
