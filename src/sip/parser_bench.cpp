// Parser throughput: a typical INVITE with SDP and a REGISTER with digest
// credentials, plus framing and canonical re-serialization. The Count* variants run
// a fixed number of parses so callgrind can give instructions per message:
//   valgrind --tool=callgrind --toggle-collect='hotline::sip::parse_message*'
//     (same line) build/<dir>/src/sip/sip_bench --benchmark_filter='CountInvite'
// then divide the Ir total by 10000. Numbers go to docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <string>

#include "sip/framer.hpp"
#include "sip/message.hpp"
#include "sip/serializer.hpp"

namespace {

using namespace hotline::sip;

const std::string kSdp =
    "v=0\r\n"
    "o=1001 3724394400 3724394400 IN IP4 192.0.2.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 16384 RTP/AVP 0 8 9 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

const std::string kInvite =
    "INVITE sip:5000@pbx.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---7c1ad0d3b6d5b0f5;rport\r\n"
    "Max-Forwards: 70\r\n"
    "Contact: <sip:1001@192.0.2.10:5060;transport=udp>\r\n"
    "To: <sip:5000@pbx.example.com>\r\n"
    "From: \"Agent 1001\" <sip:1001@pbx.example.com>;tag=3b9e0a6c\r\n"
    "Call-ID: NzQ4ZjUxYjQ3MzA4OGQ2NjJkYjM1YzEwNDk2ZTVjNjg\r\n"
    "CSeq: 1 INVITE\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE\r\n"
    "Content-Type: application/sdp\r\n"
    "Supported: replaces, norefersub, extended-refer, timer, outbound, path, X-cisco-serviceuri\r\n"
    "User-Agent: Z 5.6.1 v2.10.20.1\r\n"
    "Allow-Events: presence, kpml, talk\r\n"
    "Content-Length: " +
    std::to_string(kSdp.size()) + "\r\n\r\n" + kSdp;

const std::string kRegister =
    "REGISTER sip:pbx.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---a3f0c1e2d4b5a697;rport\r\n"
    "Max-Forwards: 70\r\n"
    "Contact: <sip:1001@192.0.2.10:5060;rinstance=7f1c8d2e3a4b5c6d;transport=udp>\r\n"
    "To: <sip:1001@pbx.example.com>\r\n"
    "From: <sip:1001@pbx.example.com>;tag=c0ffee01\r\n"
    "Call-ID: ZjQ3YjM5ZDQ1ZWM4NjI0ZDE3MWQ0ZDk0NzE3NzE2ZWM\r\n"
    "CSeq: 2 REGISTER\r\n"
    "Expires: 3600\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE\r\n"
    "Supported: replaces, norefersub, extended-refer, timer, outbound, path\r\n"
    "User-Agent: Z 5.6.1 v2.10.20.1\r\n"
    "Authorization: Digest username=\"1001\",realm=\"pbx.example.com\","
    "nonce=\"6a5f1e2d3c4b5a69788796a5b4c3d2e1\",uri=\"sip:pbx.example.com\","
    "response=\"0123456789abcdef0123456789abcdef\",cnonce=\"9f8e7d6c\",nc=00000001,qop=auth,"
    "algorithm=MD5\r\n"
    "Allow-Events: presence, kpml, talk\r\n"
    "Content-Length: 0\r\n\r\n";

void parse_loop(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    auto m = parse_message(std::string(text));
    if (!m) state.SkipWithError(m.error().reason.c_str());
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}

void BM_ParseInvite(benchmark::State& state) {
  parse_loop(state, kInvite);
}
void BM_ParseRegister(benchmark::State& state) {
  parse_loop(state, kRegister);
}

void BM_FrameInviteStream(benchmark::State& state) {
  for (auto _ : state) {
    StreamFramer framer;
    Frame f = framer.next(kInvite);
    benchmark::DoNotOptimize(f);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RebuildInvite(benchmark::State& state) {
  auto m = parse_message(std::string(kInvite));
  for (auto _ : state) {
    std::string out = MessageBuilder::copy_of(*m).serialize();
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}

// Lazy accessors that are not part of parse_message: what a proxy pays on demand.
void BM_InviteLazyLists(benchmark::State& state) {
  auto m = parse_message(std::string(kInvite));
  for (auto _ : state) {
    auto allow = m->header_values(HeaderId::kAllow);
    auto supported = m->header_values(HeaderId::kSupported);
    benchmark::DoNotOptimize(allow);
    benchmark::DoNotOptimize(supported);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_ParseInvite);
BENCHMARK(BM_ParseRegister);
BENCHMARK(BM_FrameInviteStream);
BENCHMARK(BM_RebuildInvite);
BENCHMARK(BM_InviteLazyLists);
BENCHMARK_CAPTURE(parse_loop, CountInvite, kInvite)->Iterations(10000);
BENCHMARK_CAPTURE(parse_loop, CountRegister, kRegister)->Iterations(10000);

}  // namespace

BENCHMARK_MAIN();
