#include "media/rtcp.hpp"

#include <algorithm>

namespace hotline::media {
namespace {

constexpr std::uint8_t kSr = 200, kRr = 201, kSdes = 202, kBye = 203;

void put8(std::vector<std::uint8_t>& o, std::uint32_t v) {
  o.push_back(static_cast<std::uint8_t>(v));
}
void put16(std::vector<std::uint8_t>& o, std::uint32_t v) {
  put8(o, v >> 8);
  put8(o, v);
}
void put32(std::vector<std::uint8_t>& o, std::uint32_t v) {
  put16(o, v >> 16);
  put16(o, v & 0xffff);
}
std::uint32_t be32(const std::uint8_t* p) {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
         (static_cast<std::uint32_t>(p[2]) << 8) | p[3];
}
// Rewrites the length field of the packet that starts at `start` (RFC 3550: 32-bit
// words minus one).
void fix_length(std::vector<std::uint8_t>& o, std::size_t start) {
  const std::size_t words = (o.size() - start) / 4 - 1;
  o[start + 2] = static_cast<std::uint8_t>(words >> 8);
  o[start + 3] = static_cast<std::uint8_t>(words);
}
std::unexpected<Error> bad(const std::string& why) {
  return fail(ErrorCode::kInvalidArgument, "rtcp: " + why);
}

}  // namespace

void build_rtcp(const RtcpReport& r, std::string_view cname, std::vector<std::uint8_t>& out) {
  const std::size_t n = std::min<std::size_t>(r.blocks.size(), 31);
  const std::size_t start = out.size();
  put8(out, 0x80 | static_cast<std::uint32_t>(n));
  put8(out, r.sender ? kSr : kRr);
  put16(out, 0);
  put32(out, r.ssrc);
  if (r.sender) {
    put32(out, static_cast<std::uint32_t>(r.sender->ntp_timestamp >> 32));
    put32(out, static_cast<std::uint32_t>(r.sender->ntp_timestamp));
    put32(out, r.sender->rtp_timestamp);
    put32(out, r.sender->packet_count);
    put32(out, r.sender->octet_count);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto& b = r.blocks[i];
    put32(out, b.ssrc);
    put8(out, b.fraction_lost);
    const auto lost = static_cast<std::uint32_t>(b.cumulative_lost) & 0xffffff;
    put8(out, lost >> 16);
    put16(out, lost & 0xffff);
    put32(out, b.extended_highest_sequence);
    put32(out, b.jitter);
    put32(out, b.last_sr);
    put32(out, b.delay_since_last_sr);
  }
  fix_length(out, start);

  const std::size_t sdes = out.size();
  const std::size_t len = std::min<std::size_t>(cname.size(), 255);
  put8(out, 0x81);
  put8(out, kSdes);
  put16(out, 0);
  put32(out, r.ssrc);
  put8(out, 1);  // CNAME
  put8(out, static_cast<std::uint32_t>(len));
  out.insert(out.end(), cname.begin(), cname.begin() + static_cast<std::ptrdiff_t>(len));
  put8(out, 0);  // end of item list, then pad to a word boundary
  while ((out.size() - sdes) % 4 != 0) put8(out, 0);
  fix_length(out, sdes);
}

void append_rtcp_bye(std::uint32_t ssrc, std::vector<std::uint8_t>& out) {
  put8(out, 0x81);
  put8(out, kBye);
  put16(out, 1);
  put32(out, ssrc);
}

Result<RtcpCompound> parse_rtcp(std::span<const std::uint8_t> d) {
  RtcpCompound c;
  std::size_t pos = 0;
  if (d.size() < 4) return bad("packet shorter than a header");
  while (pos < d.size()) {
    if (d.size() - pos < 4) return bad("trailing bytes after the last packet");
    const std::uint8_t* p = d.data() + pos;
    if ((p[0] >> 6) != 2) return bad("version is not 2");
    const std::size_t count = p[0] & 0x1f;
    const std::uint8_t type = p[1];
    const std::size_t bytes = (static_cast<std::size_t>((p[2] << 8) | p[3]) + 1) * 4;
    if (bytes > d.size() - pos) return bad("packet length runs past the datagram");
    if (pos == 0 && type != kSr && type != kRr)
      return bad("compound packet must start with SR or RR");
    if (type == kSr || type == kRr) {
      const std::size_t fixed = type == kSr ? 28 : 8;
      if (bytes < fixed + 24 * count) return bad("report blocks run past the packet");
      RtcpReport r;
      r.ssrc = be32(p + 4);
      if (type == kSr) {
        SenderInfo s;
        s.ntp_timestamp = (static_cast<std::uint64_t>(be32(p + 8)) << 32) | be32(p + 12);
        s.rtp_timestamp = be32(p + 16);
        s.packet_count = be32(p + 20);
        s.octet_count = be32(p + 24);
        r.sender = s;
      }
      for (std::size_t i = 0; i < count; ++i) {
        const std::uint8_t* b = p + fixed + 24 * i;
        ReportBlock blk;
        blk.ssrc = be32(b);
        blk.fraction_lost = b[4];
        std::uint32_t lost = (static_cast<std::uint32_t>(b[5]) << 16) |
                             (static_cast<std::uint32_t>(b[6]) << 8) | b[7];
        if (lost & 0x800000) lost |= 0xff000000;  // sign-extend 24 bits
        blk.cumulative_lost = static_cast<std::int32_t>(lost);
        blk.extended_highest_sequence = be32(b + 8);
        blk.jitter = be32(b + 12);
        blk.last_sr = be32(b + 16);
        blk.delay_since_last_sr = be32(b + 20);
        r.blocks.push_back(blk);
      }
      c.reports.push_back(std::move(r));
    } else if (type == kSdes && count >= 1 && bytes >= 10 && !c.cname) {
      // First chunk only: SSRC, then items (type, length, text) until a zero type.
      std::size_t i = 8;
      while (i + 2 <= bytes && p[i] != 0) {
        const std::size_t len = p[i + 1];
        if (i + 2 + len > bytes) return bad("SDES item runs past the packet");
        if (p[i] == 1) c.cname = std::string(reinterpret_cast<const char*>(p + i + 2), len);
        i += 2 + len;
      }
    } else if (type == kBye) {
      c.bye = true;
    }
    pos += bytes;
  }
  return c;
}

std::optional<double> round_trip_ms(const ReportBlock& block, std::uint64_t arrival_ntp) {
  if (block.last_sr == 0) return std::nullopt;
  const std::uint32_t a = ntp_middle(arrival_ntp);
  const std::uint32_t rtt = a - block.last_sr - block.delay_since_last_sr;  // 1/65536 s, mod 2^32
  if (rtt > 0x7fffffffu) return 0.0;  // clock skew made it negative
  return static_cast<double>(rtt) * 1000.0 / 65536.0;
}

}  // namespace hotline::media
