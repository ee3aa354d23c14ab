// libFuzzer target for the SDP parser and offer/answer: any crash, sanitizer report or
// broken invariant (abort) is a bug. Invariant: whatever parses serialises to text that
// parses again to the same value. Run: build with clang and -DHOTLINE_FUZZ=ON, then
// ./build/fuzz/src/media/sdp_fuzz -max_len=8192
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "media/sdp_negotiation.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hotline::media;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto sdp = parse_sdp(text);
  if (!sdp) {
    check(!sdp.error().message.empty());
    return 0;
  }
  // Serialising may add lines (t=, rtpmaps for static types with fmtp), so the round
  // trip is only promised while the text stays within the parser's size bound.
  const auto text2 = to_string(*sdp);
  if (text2.size() <= kMaxSdpBytes) {
    auto again = parse_sdp(text2);
    check(again.has_value());
    check(*again == *sdp);
  }
  LocalMediaOptions local;
  local.address = "192.0.2.1";
  local.port = 20000;
  local.codecs = {CodecId::kOpus, CodecId::kG722, CodecId::kPcma, CodecId::kPcmu};
  local.srtp_inline_key = "MTIzNDU2Nzg5MEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZX";
  if (auto answer = answer_offer(*sdp, local)) {
    check(parse_sdp(to_string(answer->sdp)).has_value());
  }
  if (auto offer = build_offer(local)) (void)apply_answer(*offer, *sdp);
  return 0;
}
