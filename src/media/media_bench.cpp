// Per-call costs of the media hot paths, to size the media threads: a 20 ms frame through
// each codec, DTMF detection on a frame, RTP parse, the recorder's write() on the media
// thread, and SDP parse + answer (control thread, once per call).
#include <benchmark/benchmark.h>

#include <cstdio>

#include "media/codec.hpp"
#include "media/inband_dtmf.hpp"
#include "media/recorder.hpp"
#include "media/rtp.hpp"
#include "media/sdp_negotiation.hpp"
#include "media/signal_analysis.hpp"

namespace hotline::media {
namespace {

void codec_round_trip(benchmark::State& state, CodecId id, int rate) {
  auto codec = make_codec(CodecSpec{id, 0, id == CodecId::kOpus ? 48000 : 8000, 1, ""},
                          CodecOptions{rate, 24000});
  if (!codec) {
    state.SkipWithError(codec.error().message.c_str());
    return;
  }
  auto pcm = analysis::sine(440, (*codec)->sample_rate(),
                            static_cast<std::size_t>((*codec)->frame_samples()), 6000);
  std::vector<std::uint8_t> payload(kMaxEncodedFrameBytes);
  std::vector<std::int16_t> out(pcm.size() * 6);
  for (auto _ : state) {
    auto n = (*codec)->encode(pcm, payload);
    auto m = (*codec)->decode(std::span(payload).first(*n), out);
    benchmark::DoNotOptimize(m);
  }
  state.SetLabel("encode+decode of one 20 ms frame");
}
BENCHMARK_CAPTURE(codec_round_trip, pcmu, CodecId::kPcmu, 8000);
BENCHMARK_CAPTURE(codec_round_trip, g722, CodecId::kG722, 16000);
BENCHMARK_CAPTURE(codec_round_trip, opus8k, CodecId::kOpus, 8000);
BENCHMARK_CAPTURE(codec_round_trip, opus48k, CodecId::kOpus, 48000);

void inband_dtmf_frame(benchmark::State& state) {
  auto det = InbandDtmfDetector::create(8000);
  auto pcm = analysis::sine(440, 8000, 160, 6000);
  for (auto _ : state) benchmark::DoNotOptimize(det->process(pcm));
}
BENCHMARK(inband_dtmf_frame);

void rtp_parse(benchmark::State& state) {
  std::vector<std::uint8_t> pkt;
  RtpPacketizer(1, 0, 1, 1).build(std::vector<std::uint8_t>(160, 0xff), false, pkt);
  for (auto _ : state) benchmark::DoNotOptimize(parse_rtp(pkt));
}
BENCHMARK(rtp_parse);

void recorder_write(benchmark::State& state) {
  auto rec =
      Recorder::start({"/tmp/hotline_media_bench.wav", 8000, RecordingLayout::kStereo, 60000});
  if (!rec) {
    state.SkipWithError(rec.error().message.c_str());
    return;
  }
  auto a = analysis::sine(440, 8000, 160, 6000);
  auto b = analysis::sine(1000, 8000, 160, 6000);
  std::uint64_t dropped = 0;
  for (auto _ : state) {
    if (!(*rec)->write(a, b)) {
      // The writer is not keeping up with a synthetic 100% duty loop; let it drain so
      // the figure measures write(), not a full ring.
      state.PauseTiming();
      (*rec)->flush();
      ++dropped;
      state.ResumeTiming();
    }
  }
  (void)(*rec)->stop();
  state.counters["drops"] = static_cast<double>(dropped);
  std::remove("/tmp/hotline_media_bench.wav");
}
BENCHMARK(recorder_write);

void sdp_parse_and_answer(benchmark::State& state) {
  const std::string offer =
      "v=0\r\no=alice 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
      "m=audio 49170 RTP/AVP 96 0 8 9 101\r\na=rtpmap:96 opus/48000/2\r\n"
      "a=fmtp:96 useinbandfec=1\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
      "a=ptime:20\r\na=rtcp-mux\r\n";
  LocalMediaOptions local;
  local.address = "192.0.2.1";
  local.port = 20000;
  for (auto _ : state) {
    auto sdp = parse_sdp(offer);
    auto answer = answer_offer(*sdp, local);
    benchmark::DoNotOptimize(to_string(answer->sdp));
  }
}
BENCHMARK(sdp_parse_and_answer);

}  // namespace
}  // namespace hotline::media
BENCHMARK_MAIN();
