// libFuzzer target for the RTP, RTCP and telephone-event parsers and the receive
// statistics fed by them: any crash or sanitizer report is a bug.
// Run: build with clang and -DHOTLINE_FUZZ=ON, then ./build/fuzz/src/media/rtp_fuzz
#include <cstddef>
#include <cstdint>
#include <span>

#include "media/rfc4733.hpp"
#include "media/rtcp.hpp"
#include "media/rtp.hpp"
#include "media/rtp_stats.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hotline::media;
  const std::span<const std::uint8_t> d(data, size);
  if (looks_like_rtcp(d)) {
    (void)parse_rtcp(d);
    return 0;
  }
  static RtpReceiveStats stats(8000);
  static Rfc4733Receiver dtmf(8000);
  if (auto p = parse_rtp(d)) {
    stats.on_packet(p->header, static_cast<std::int64_t>(p->header.sequence) * 20000);
    (void)stats.make_report_block();
    (void)dtmf.on_packet(p->payload, p->header.timestamp);
  }
  return 0;
}
