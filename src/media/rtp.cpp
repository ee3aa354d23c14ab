#include "media/rtp.hpp"

#include <string>

namespace hotline::media {
namespace {

std::uint16_t be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t be32(const std::uint8_t* p) {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
         (static_cast<std::uint32_t>(p[2]) << 8) | p[3];
}
void put16(std::vector<std::uint8_t>& o, std::uint16_t v) {
  o.push_back(static_cast<std::uint8_t>(v >> 8));
  o.push_back(static_cast<std::uint8_t>(v));
}
void put32(std::vector<std::uint8_t>& o, std::uint32_t v) {
  put16(o, static_cast<std::uint16_t>(v >> 16));
  put16(o, static_cast<std::uint16_t>(v));
}
std::unexpected<Error> bad(std::string why) {
  return fail(ErrorCode::kInvalidArgument, "rtp: " + why);
}

}  // namespace

bool looks_like_rtcp(std::span<const std::uint8_t> d) {
  return d.size() >= 2 && (d[0] >> 6) == 2 && d[1] >= 192 && d[1] <= 223;
}

Result<RtpPacketView> parse_rtp(std::span<const std::uint8_t> d) {
  if (d.size() < kRtpHeaderBytes)
    return bad("packet of " + std::to_string(d.size()) + " bytes is shorter than a header");
  if ((d[0] >> 6) != 2) return bad("version " + std::to_string(d[0] >> 6) + ", expected 2");
  RtpPacketView v;
  RtpHeader& h = v.header;
  const bool padding = (d[0] & 0x20) != 0;
  h.has_extension = (d[0] & 0x10) != 0;
  h.csrc_count = d[0] & 0x0f;
  h.marker = (d[1] & 0x80) != 0;
  h.payload_type = d[1] & 0x7f;
  h.sequence = be16(&d[2]);
  h.timestamp = be32(&d[4]);
  h.ssrc = be32(&d[8]);
  std::size_t pos = kRtpHeaderBytes;
  if (d.size() < pos + 4u * h.csrc_count) return bad("CSRC list runs past the end");
  for (std::size_t i = 0; i < h.csrc_count; ++i, pos += 4) h.csrc[i] = be32(&d[pos]);
  if (h.has_extension) {
    if (d.size() < pos + 4) return bad("extension header runs past the end");
    h.extension_profile = be16(&d[pos]);
    const std::size_t words = be16(&d[pos + 2]);
    pos += 4;
    if (d.size() < pos + 4 * words) return bad("extension runs past the end");
    v.extension = d.subspan(pos, 4 * words);
    pos += 4 * words;
  }
  std::size_t end = d.size();
  if (padding) {
    const std::size_t pad = d.back();
    if (pad == 0 || pad > end - pos) return bad("bad padding count " + std::to_string(pad));
    end -= pad;
  }
  v.payload = d.subspan(pos, end - pos);
  return v;
}

void serialize_rtp(const RtpHeader& h, std::span<const std::uint8_t> payload,
                   std::vector<std::uint8_t>& out) {
  const std::uint8_t cc = std::min<std::uint8_t>(h.csrc_count, 15);
  out.push_back(static_cast<std::uint8_t>(0x80 | cc));
  out.push_back(static_cast<std::uint8_t>((h.marker ? 0x80 : 0) | (h.payload_type & 0x7f)));
  put16(out, h.sequence);
  put32(out, h.timestamp);
  put32(out, h.ssrc);
  for (std::size_t i = 0; i < cc; ++i) put32(out, h.csrc[i]);
  out.insert(out.end(), payload.begin(), payload.end());
}

void RtpPacketizer::build(std::span<const std::uint8_t> payload, bool marker,
                          std::vector<std::uint8_t>& out, std::uint8_t payload_type_override) {
  RtpHeader h;
  h.marker = marker;
  h.payload_type = payload_type_override <= 127 ? payload_type_override : payload_type_;
  h.sequence = seq_++;
  h.timestamp = ts_;
  h.ssrc = ssrc_;
  out.clear();
  serialize_rtp(h, payload, out);
  ++packets_;
  octets_ += payload.size();
}

}  // namespace hotline::media
