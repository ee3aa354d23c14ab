// The media engine over real loopback UDP sockets: test phones send and receive RTP, the
// engine relays, transcodes, mixes and records. Streams are paced at 20 ms like a phone
// (the workload, not synchronisation); every wait is on an event or a packet, bounded.
#include "media/media_engine.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sndfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "media/codec.hpp"
#include "media/inband_dtmf.hpp"
#include "media/rfc4733.hpp"
#include "media/rtcp.hpp"
#include "media/rtp.hpp"
#include "media/sdp.hpp"
#include "media/signal_analysis.hpp"
#include "media/srtp.hpp"
#include "support/test_support.hpp"

namespace hotline::media {
namespace {

using namespace std::chrono_literals;

// Collects engine events; waits are bounded so a bug fails the test instead of hanging.
class Events {
 public:
  EventCallback callback() {
    return [this](const MediaEvent& e) {
      std::lock_guard lock(mu_);
      events_.push_back(e);
      cv_.notify_all();
    };
  }
  std::optional<MediaEvent> wait_for(MediaEvent::Kind kind, EndpointId id,
                                     std::chrono::milliseconds limit = 3s) {
    std::unique_lock lock(mu_);
    std::optional<MediaEvent> found;
    cv_.wait_for(lock, limit, [&] {
      for (auto it = events_.begin(); it != events_.end(); ++it) {
        if (it->kind == kind && (id == 0 || it->endpoint == id)) {
          found = *it;
          events_.erase(it);
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::size_t count(MediaEvent::Kind kind) {
    std::lock_guard lock(mu_);
    return static_cast<std::size_t>(std::count_if(
        events_.begin(), events_.end(), [&](const MediaEvent& e) { return e.kind == kind; }));
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<MediaEvent> events_;
};

struct Received {
  RtpHeader header;
  std::vector<std::uint8_t> payload;
  sockaddr_in from{};
};

// A phone on a loopback UDP socket.
class Phone {
 public:
  explicit Phone(CodecId codec = CodecId::kPcmu, const char* ip = "127.0.0.1") {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &a.sin_addr);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    codec_id_ = codec;
  }
  ~Phone() { close(fd_); }
  std::uint16_t port() const { return port_; }

  // An offer as this phone would send it (optionally advertising a wrong, NATed address).
  void set_ssrc(std::uint32_t ssrc, std::uint16_t seq) {
    ssrc_ = ssrc;
    seq_ = seq;
  }
  // SDES: the phone encrypts with `key` (its offer carries it) and decrypts with the key in
  // the engine's answer.
  void use_srtp(const std::string& key) { srtp_key_ = key; }
  void set_answer(const std::string& answer_sdp) {
    if (!srtp_key_) return;
    auto ans = *parse_sdp(answer_sdp);
    srtp_in_.emplace(*SrtpContext::create(ans.media[0].crypto.at(0), SrtpDirection::kInbound));
    auto ours = *parse_sdp(offer());
    srtp_out_.emplace(*SrtpContext::create(ours.media[0].crypto.at(0), SrtpDirection::kOutbound));
  }
  std::string offer(const char* advertised = "127.0.0.1",
                    Direction direction = Direction::kSendRecv) const {
    LocalMediaOptions o;
    o.srtp_inline_key = srtp_key_;
    o.direction = direction;
    o.address = advertised;
    o.port = port_;
    o.codecs = {codec_id_};
    o.rtcp_mux = true;
    return to_string(*build_offer(o));
  }
  void set_target(std::uint16_t port) {
    target_ = {};
    target_.sin_family = AF_INET;
    target_.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &target_.sin_addr);
  }
  void send(std::uint8_t pt, std::span<const std::uint8_t> payload, std::uint32_t ts,
            bool marker = false) {
    RtpHeader h;
    h.payload_type = pt;
    h.sequence = seq_++;
    h.timestamp = ts;
    h.ssrc = ssrc_;
    h.marker = marker;
    std::vector<std::uint8_t> out;
    serialize_rtp(h, payload, out);
    if (srtp_out_) {
      EXPECT_TRUE(srtp_out_->protect_rtp(out).has_value());
    }
    sendto(fd_, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&target_), sizeof target_);
  }
  // Sends `frames` 20 ms frames of a tone, paced like a phone.
  void stream_tone(double hz, int frames, int pt = 0) {
    auto codec = *make_codec({codec_id_, pt, codec_id_ == CodecId::kOpus ? 48000 : 8000, 1, ""},
                             {.opus_sample_rate = 16000});
    auto pcm = analysis::sine(hz, codec->sample_rate(),
                              static_cast<std::size_t>(codec->frame_samples() * frames));
    auto next = std::chrono::steady_clock::now();
    std::uint8_t buf[kMaxEncodedFrameBytes];
    for (int i = 0; i < frames; ++i) {
      auto n =
          codec->encode(std::span(pcm).subspan(static_cast<std::size_t>(i) *
                                                   static_cast<std::size_t>(codec->frame_samples()),
                                               static_cast<std::size_t>(codec->frame_samples())),
                        buf);
      send(static_cast<std::uint8_t>(pt), std::span(buf, *n), ts_, i == 0);
      ts_ += static_cast<std::uint32_t>(codec->frame_timestamp_step());
      next += 20ms;
      std::this_thread::sleep_until(next);
    }
  }
  std::optional<Received> receive(std::chrono::milliseconds limit = 2s) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(limit.count())) <= 0) return std::nullopt;
    std::uint8_t buf[2048];
    Received r;
    socklen_t len = sizeof r.from;
    auto n = recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&r.from), &len);
    if (n <= 0) return std::nullopt;
    std::vector<std::uint8_t> data(buf, buf + n);
    if (looks_like_rtcp(data)) return receive(limit);
    if (srtp_in_ && !srtp_in_->unprotect_rtp(data)) return receive(limit);
    auto v = parse_rtp(data);
    if (!v) return receive(limit);
    r.header = v->header;
    r.payload.assign(v->payload.begin(), v->payload.end());
    return r;
  }
  // Sends already-encoded 20 ms PCMU frames of `pcm`, paced like a phone.
  void stream_pcm(std::span<const std::int16_t> pcm) {
    auto codec = *make_codec({CodecId::kPcmu, 0, 8000, 1, ""});
    auto next = std::chrono::steady_clock::now();
    std::uint8_t buf[kMaxEncodedFrameBytes];
    for (std::size_t off = 0; off + 160 <= pcm.size(); off += 160) {
      auto n = codec->encode(pcm.subspan(off, 160), buf);
      send(0, std::span(buf, *n), ts_, off == 0);
      ts_ += 160;
      next += 20ms;
      std::this_thread::sleep_until(next);
    }
  }
  // The next RTCP compound packet (RTP is skipped), within `limit`.
  std::optional<RtcpCompound> receive_rtcp(std::chrono::milliseconds limit = 3s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      std::uint8_t buf[2048];
      auto n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      std::span<const std::uint8_t> d(buf, static_cast<std::size_t>(n));
      if (!looks_like_rtcp(d)) continue;
      if (auto c = parse_rtcp(d)) return *c;
    }
    return std::nullopt;
  }
  // What arrives until `quiet` passes without a packet, or `limit` in all (mixed streams
  // never fall quiet: the engine keeps sending the mix).
  std::vector<Received> drain(std::chrono::milliseconds quiet = 300ms,
                              std::chrono::milliseconds limit = 1000ms) {
    std::vector<Received> out;
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      auto r = receive(quiet);
      if (!r) break;
      out.push_back(std::move(*r));
    }
    return out;
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  CodecId codec_id_;
  sockaddr_in target_{};
  std::uint16_t seq_ = 1000;
  std::uint32_t ts_ = 5000;
  std::uint32_t ssrc_ = 0x11223344;
  std::optional<std::string> srtp_key_;
  std::optional<SrtpContext> srtp_in_, srtp_out_;
};

EngineConfig test_config() {
  EngineConfig c;
  std::tie(c.port_min, c.port_max) = hotline::testing::private_port_range();
  c.threads = 2;
  c.rtp_timeout_ms = 10'000;
  return c;
}

std::vector<std::int16_t> decode_all(const std::vector<Received>& pkts, CodecId id, int pt) {
  auto codec = *make_codec({id, pt, id == CodecId::kOpus ? 48000 : 8000, 1, ""},
                           {.opus_sample_rate = 16000});
  std::vector<std::int16_t> pcm;
  std::vector<std::int16_t> frame(5760);
  for (const auto& r : pkts) {
    if (r.header.payload_type != pt) continue;
    if (auto n = codec->decode(r.payload, frame))
      pcm.insert(pcm.end(), frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  return pcm;
}

struct Bridged {
  Phone caller_phone;
  Phone agent_phone;
  CreatedEndpoint caller;
  CreatedEndpoint agent;
  Bridged(MediaEngine& engine, CodecId a = CodecId::kPcmu, CodecId b = CodecId::kPcmu)
      : caller_phone(a), agent_phone(b) {
    caller = *engine.create_answer(caller_phone.offer());
    EndpointOptions o;
    o.colocate_with = caller.id;
    agent = *engine.create_answer(agent_phone.offer(), o);
    caller_phone.set_target(caller.port);
    agent_phone.set_target(agent.port);
    EXPECT_TRUE(engine.bridge(caller.id, agent.id).has_value());
  }
};

TEST(MediaEngine, RelaysPassThroughWithOurSsrcAndLatchesToTheRealSource) {
  Events events;
  auto engine = *MediaEngine::start(test_config(), events.callback());
  Phone caller;
  Phone agent;
  // The caller advertises a private address it cannot be reached on (a NATed phone).
  auto c = engine->create_answer(caller.offer("10.99.99.99"));
  ASSERT_TRUE(c.has_value()) << c.error().describe();
  EXPECT_NE(c->sdp.find("m=audio " + std::to_string(c->port)), std::string::npos);
  EXPECT_EQ(c->port % 2, 0);
  EndpointOptions o;
  o.colocate_with = c->id;
  auto a = *engine->create_answer(agent.offer(), o);
  ASSERT_TRUE(engine->bridge(c->id, a.id).has_value());
  caller.set_target(c->port);
  agent.set_target(a.port);

  caller.stream_tone(440, 10);
  auto got = agent.drain();
  ASSERT_EQ(got.size(), 10u);
  for (std::size_t i = 1; i < got.size(); ++i) {
    EXPECT_EQ(got[i].header.sequence, static_cast<std::uint16_t>(got[0].header.sequence + i));
    EXPECT_EQ(got[i].header.timestamp, got[0].header.timestamp + 160 * i);
    EXPECT_EQ(got[i].header.ssrc, got[0].header.ssrc);
  }
  EXPECT_NE(got[0].header.ssrc, 0x11223344u);  // rewritten to the agent leg's SSRC
  EXPECT_TRUE(got[0].header.marker);
  EXPECT_EQ(ntohs(got[0].from.sin_port), a.port);  // symmetric: sent from the leg's port
  auto pcm = decode_all(got, CodecId::kPcmu, 0);
  EXPECT_NEAR(analysis::dominant_frequency(pcm, 8000), 440, 10);

  // Back the other way: the engine answers the caller at the address packets came from.
  agent.stream_tone(1000, 5);
  auto back = caller.drain();
  EXPECT_EQ(back.size(), 5u);

  ASSERT_TRUE(engine->query_stats(c->id).has_value());
  auto stats = events.wait_for(MediaEvent::Kind::kStats, c->id);
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->stats.packets_received, 10u);
  EXPECT_EQ(stats->stats.packets_sent, 5u);
  EXPECT_EQ(stats->stats.packets_lost, 0);
  EXPECT_EQ(stats->stats.remote, "127.0.0.1:" + std::to_string(caller.port()));
}

TEST(MediaEngine, DropsAStrangerWhileTheLatchedPhoneTalks) {
  Events events;
  auto engine = *MediaEngine::start(test_config(), events.callback());
  Bridged b(*engine);
  Phone stranger;
  stranger.set_target(b.caller.port);
  b.caller_phone.stream_tone(440, 3);
  stranger.stream_tone(440, 3);
  EXPECT_EQ(b.agent_phone.drain().size(), 3u);
  engine->query_stats(b.caller.id);
  auto stats = events.wait_for(MediaEvent::Kind::kStats, b.caller.id);
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->stats.rejected_packets, 3u);
}

TEST(MediaEngine, ReportsEachRfc4733DigitOnceAndRelaysIt) {
  Events events;
  auto engine = *MediaEngine::start(test_config(), events.callback());
  Bridged b(*engine);
  b.caller_phone.stream_tone(440, 2);
  auto packets = *telephone_event_packets('7', 120);
  for (const auto& p : packets) b.caller_phone.send(101, p.payload, 9000, p.marker);
  auto digit = events.wait_for(MediaEvent::Kind::kDtmf, b.caller.id);
  ASSERT_TRUE(digit.has_value());
  EXPECT_EQ(digit->digit.digit, '7');
  EXPECT_EQ(digit->digit.duration_ms, 120);
  auto got = b.agent_phone.drain();
  int events_relayed = 0;
  for (const auto& r : got) events_relayed += r.header.payload_type == 101;
  EXPECT_EQ(events_relayed, static_cast<int>(packets.size()));
  EXPECT_EQ(events.count(MediaEvent::Kind::kDtmf), 0u);  // the redundant ends made no digit
}

TEST(MediaEngine, TranscodesPcmuToOpusAndBack) {
  Events events;
  auto engine = *MediaEngine::start(test_config(), events.callback());
  Bridged b(*engine, CodecId::kPcmu, CodecId::kOpus);
  ASSERT_TRUE(b.agent.media.has_value());
  EXPECT_EQ(b.agent.media->codec.id, CodecId::kOpus);
  b.caller_phone.stream_tone(600, 25);
  auto got = b.agent_phone.drain();
  ASSERT_GE(got.size(), 20u);
  EXPECT_EQ(got[1].header.timestamp - got[0].header.timestamp, 960u);  // 20 ms at 48 kHz
  auto pcm = decode_all(got, CodecId::kOpus, b.agent.media->codec.payload_type);
  ASSERT_GT(pcm.size(), 3200u);
  std::span<const std::int16_t> tail(pcm.data() + pcm.size() / 2, pcm.size() / 2);
  EXPECT_NEAR(analysis::dominant_frequency(tail, 16000), 600, 20);

  b.agent_phone.stream_tone(900, 25, b.agent.media->codec.payload_type);
  auto back = b.caller_phone.drain();
  ASSERT_GE(back.size(), 20u);
  auto pcm2 = decode_all(back, CodecId::kPcmu, 0);
  std::span<const std::int16_t> tail2(pcm2.data() + pcm2.size() / 2, pcm2.size() / 2);
  EXPECT_NEAR(analysis::dominant_frequency(tail2, 8000), 900, 20);
}

TEST(MediaEngine, RtpTimeoutFiresOnceAndResumes) {
  Events events;
  auto cfg = test_config();
  cfg.rtp_timeout_ms = 300;
  auto engine = *MediaEngine::start(cfg, events.callback());
  Phone phone;
  auto ep = *engine->create_answer(phone.offer());
  phone.set_target(ep.port);
  ASSERT_TRUE(events.wait_for(MediaEvent::Kind::kRtpTimeout, ep.id).has_value());
  phone.stream_tone(440, 1);
  ASSERT_TRUE(events.wait_for(MediaEvent::Kind::kRtpResumed, ep.id).has_value());
  ASSERT_TRUE(events.wait_for(MediaEvent::Kind::kRtpTimeout, ep.id).has_value());
}

TEST(MediaEngine, ReportsSilenceOnceAndAgainAfterSound) {
  Events events;
  auto engine = *MediaEngine::start(test_config(), events.callback());
  Phone phone;
  auto ep = *engine->create_answer(phone.offer());
  phone.set_target(ep.port);
  ASSERT_TRUE(engine->detect_silence(ep.id, 400, 300).has_value());
  phone.stream_tone(440, 40);  // 800 ms of sound: no silence while it plays
  EXPECT_EQ(events.count(MediaEvent::Kind::kSilence), 0u);
  ASSERT_TRUE(events.wait_for(MediaEvent::Kind::kSilence, ep.id).has_value());
  phone.stream_tone(440, 5);  // sound again re-arms it
  ASSERT_TRUE(events.wait_for(MediaEvent::Kind::kSilence, ep.id).has_value());
  ASSERT_TRUE(engine->detect_silence(ep.id, 0).has_value());
  EXPECT_FALSE(engine->detect_silence(ep.id, -1).has_value());
}

TEST(MediaEngine, RecordsOneUnbridgedLegAsMono) {
  hotline::testing::TempDir dir;
  Events events;
  auto engine = *MediaEngine::start(test_config(), events.callback());
  Phone phone;
  auto ep = *engine->create_answer(phone.offer());
  phone.set_target(ep.port);
  RecorderOptions ro;
  ro.path = dir.path() / "message.wav";
  ro.layout = RecordingLayout::kMixedMono;
  ASSERT_TRUE(engine->start_recording(ep.id, ro).has_value());
  phone.stream_tone(440, 50);
  ASSERT_TRUE(engine->stop_recording(ep.id).has_value());
  auto done = events.wait_for(MediaEvent::Kind::kRecordingStopped, ep.id);
  ASSERT_TRUE(done.has_value());
  EXPECT_GT(done->recording.frames_written, 6000u);
  SF_INFO info{};
  SNDFILE* f = sf_open(ro.path.c_str(), SFM_READ, &info);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(info.channels, 1);
  EXPECT_EQ(info.samplerate, 8000);
  std::vector<std::int16_t> pcm(static_cast<std::size_t>(info.frames));
  sf_read_short(f, pcm.data(), info.frames);
  sf_close(f);
  ASSERT_GT(pcm.size(), 5600u);
  EXPECT_NEAR(analysis::dominant_frequency(std::span(pcm).subspan(1600, 4000), 8000), 440, 10);
}

TEST(MediaEngine, ReturnsEveryPortOnDestroy) {
  Events events;
  auto engine = *MediaEngine::start(test_config(), events.callback());
  std::vector<EndpointId> ids;
  Phone phone;
  for (int i = 0; i < 200; ++i) {
    auto ep = engine->create_answer(phone.offer());
    ASSERT_TRUE(ep.has_value());
    ids.push_back(ep->id);
  }
  EXPECT_EQ(engine->ports_in_use(), 200u);
  EXPECT_EQ(engine->endpoints(), 200u);
  for (auto id : ids) ASSERT_TRUE(engine->destroy(id).has_value());
  for (auto id : ids) ASSERT_TRUE(events.wait_for(MediaEvent::Kind::kStats, id).has_value());
  EXPECT_EQ(engine->ports_in_use(), 0u);
  EXPECT_EQ(engine->endpoints(), 0u);
  EXPECT_FALSE(engine->destroy(ids[0]).has_value());
}

TEST(MediaEngine, RefusesABadOfferWithAnErrorAndLeaksNoPort) {
  Events events;
  auto engine = *MediaEngine::start(test_config(), events.callback());
  auto bad = engine->create_answer("v=0\r\nnonsense\r\n");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  std::string g729 =
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n";
  auto incompatible = engine->create_answer(g729);
  ASSERT_FALSE(incompatible.has_value());
  EXPECT_EQ(incompatible.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(engine->ports_in_use(), 0u);
}

TEST(MediaEngine, OfferThenAnswerStartsMedia) {
  Events events;
  auto engine = *MediaEngine::start(test_config(), events.callback());
  Phone phone;
  auto ep = *engine->create_offer();
  auto offer = *parse_sdp(ep.sdp);
  LocalMediaOptions local;
  local.address = "127.0.0.1";
  local.port = phone.port();
  auto answer = *answer_offer(offer, local);
  ASSERT_TRUE(engine->apply_answer(ep.id, to_string(answer.sdp)).has_value());
  EXPECT_FALSE(engine->apply_answer(ep.id, to_string(answer.sdp)).has_value());
  auto clip = std::make_shared<AudioClip>();
  clip->samples = analysis::sine(700, 8000, 1600);
  ASSERT_TRUE(engine->play(ep.id, std::make_unique<ClipSource>(clip)).has_value());
  ASSERT_TRUE(events.wait_for(MediaEvent::Kind::kPlaybackFinished, ep.id).has_value());
  auto got = phone.drain();
  ASSERT_GE(got.size(), 9u);
  auto pcm = decode_all(got, CodecId::kPcmu, 0);
  EXPECT_NEAR(analysis::dominant_frequency(pcm, 8000), 700, 10);
}

// Reads a stereo WAV into its two channels.
std::pair<std::vector<std::int16_t>, std::vector<std::int16_t>> read_stereo(
    const std::filesystem::path& p) {
  SF_INFO info{};
  SNDFILE* f = sf_open(p.c_str(), SFM_READ, &info);
  std::vector<std::int16_t> all(static_cast<std::size_t>(info.frames * info.channels));
  sf_readf_short(f, all.data(), info.frames);
  sf_close(f);
  std::vector<std::int16_t> l, r;
  for (std::size_t i = 0; i + 1 < all.size(); i += 2) {
    l.push_back(all[i]);
    r.push_back(all[i + 1]);
  }
  return {l, r};
}

TEST(MediaEngine, RecordsABridgeCallerLeftAgentRight) {
  hotline::testing::TempDir dir;
  Events events;
  auto engine = *MediaEngine::start(test_config(), events.callback());
  Bridged b(*engine);
  RecorderOptions ro;
  ro.path = dir.path() / "call.wav";
  ASSERT_TRUE(engine->start_recording(b.caller.id, ro).has_value());
  std::thread agent([&] { b.agent_phone.stream_tone(1000, 50); });
  b.caller_phone.stream_tone(440, 50);
  agent.join();
  ASSERT_TRUE(engine->stop_recording(b.caller.id).has_value());
  auto done = events.wait_for(MediaEvent::Kind::kRecordingStopped, b.caller.id);
  ASSERT_TRUE(done.has_value());
  auto [left, right] = read_stereo(ro.path);
  ASSERT_GT(left.size(), 6000u);
  std::span<const std::int16_t> l(left.data() + 1600, 4000), r(right.data() + 1600, 4000);
  EXPECT_NEAR(analysis::dominant_frequency(l, 8000), 440, 10);
  EXPECT_NEAR(analysis::dominant_frequency(r, 8000), 1000, 10);
}

TEST(MediaEngine, WhisperReachesTheAgentButNotTheCaller) {
  Events events;
  auto engine = *MediaEngine::start(test_config(), events.callback());
  Bridged b(*engine);
  Phone sup_phone;
  EndpointOptions o;
  o.colocate_with = b.caller.id;
  auto sup = *engine->create_answer(sup_phone.offer(), o);
  sup_phone.set_target(sup.port);
  ASSERT_TRUE(engine->monitor(sup.id, b.caller.id, b.agent.id, MonitorMode::kWhisper).has_value());
  std::thread caller([&] { b.caller_phone.stream_tone(440, 40); });
  std::thread agent([&] { b.agent_phone.stream_tone(1000, 40); });
  sup_phone.stream_tone(2000, 40);
  caller.join();
  agent.join();
  auto at_agent = decode_all(b.agent_phone.drain(), CodecId::kPcmu, 0);
  auto at_caller = decode_all(b.caller_phone.drain(), CodecId::kPcmu, 0);
  auto at_sup = decode_all(sup_phone.drain(), CodecId::kPcmu, 0);
  ASSERT_GT(at_agent.size(), 4000u);
  ASSERT_GT(at_caller.size(), 4000u);
  ASSERT_GT(at_sup.size(), 4000u);
  using analysis::tone_amplitude;
  EXPECT_GT(tone_amplitude(at_agent, 440, 8000), 1000);   // the caller
  EXPECT_GT(tone_amplitude(at_agent, 2000, 8000), 1000);  // the whisper
  EXPECT_GT(tone_amplitude(at_caller, 1000, 8000), 1000);
  EXPECT_LT(tone_amplitude(at_caller, 2000, 8000), 100);  // the caller never hears it
  EXPECT_GT(tone_amplitude(at_sup, 440, 8000), 1000);     // the supervisor hears both
  EXPECT_GT(tone_amplitude(at_sup, 1000, 8000), 1000);
}

TEST(MediaEngine, BargeMakesAThreeWayCall) {
  Events events;
  auto engine = *MediaEngine::start(test_config(), events.callback());
  Bridged b(*engine);
  Phone sup_phone;
  EndpointOptions o;
  o.colocate_with = b.caller.id;
  auto sup = *engine->create_answer(sup_phone.offer(), o);
  sup_phone.set_target(sup.port);
  ASSERT_TRUE(engine->monitor(sup.id, b.caller.id, b.agent.id, MonitorMode::kBarge).has_value());
  std::thread caller([&] { b.caller_phone.stream_tone(440, 40); });
  std::thread agent([&] { b.agent_phone.stream_tone(1000, 40); });
  sup_phone.stream_tone(2000, 40);
  caller.join();
  agent.join();
  auto at_caller = decode_all(b.caller_phone.drain(), CodecId::kPcmu, 0);
  using analysis::tone_amplitude;
  EXPECT_GT(tone_amplitude(at_caller, 1000, 8000), 1000);
  EXPECT_GT(tone_amplitude(at_caller, 2000, 8000), 1000);
  EXPECT_LT(tone_amplitude(at_caller, 440, 8000), 100);  // nobody hears their own voice
}

TEST(MediaEngine, SsrcChangeKeepsOurStreamContinuousAndCountsIt) {
  Events events;
  auto engine = *MediaEngine::start(test_config(), events.callback());
  Bridged b(*engine);
  b.caller_phone.stream_tone(440, 5);
  // The phone restarts its stream (e.g. after a transfer on its side): new SSRC, new seq.
  b.caller_phone.set_ssrc(0x55667788, 40000);
  b.caller_phone.stream_tone(440, 5);
  auto got = b.agent_phone.drain();
  ASSERT_EQ(got.size(), 10u);
  for (std::size_t i = 1; i < got.size(); ++i) {
    EXPECT_EQ(got[i].header.ssrc, got[0].header.ssrc);
    EXPECT_EQ(got[i].header.sequence, static_cast<std::uint16_t>(got[0].header.sequence + i));
    EXPECT_GT(got[i].header.timestamp - got[i - 1].header.timestamp, 0u);
    EXPECT_LT(got[i].header.timestamp - got[i - 1].header.timestamp, 1000u);
  }
  EXPECT_TRUE(got[5].header.marker);  // the new source is flagged
  engine->query_stats(b.caller.id);
  auto stats = events.wait_for(MediaEvent::Kind::kStats, b.caller.id);
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->stats.ssrc_changes, 1u);
  EXPECT_EQ(stats->stats.packets_lost, 0);
  EXPECT_EQ(stats->stats.packets_received, 10u);
}

TEST(MediaEngine, HoldByReofferStopsSendingAndResumeRestartsIt) {
  Events events;
  auto engine = *MediaEngine::start(test_config(), events.callback());
  Bridged b(*engine);
  b.caller_phone.stream_tone(440, 3);
  EXPECT_EQ(b.agent_phone.drain().size(), 3u);
  // The agent's phone puts us on hold: it will send (music) but not receive.
  auto held =
      engine->answer_reoffer(b.agent.id, b.agent_phone.offer("127.0.0.1", Direction::kSendOnly));
  ASSERT_TRUE(held.has_value()) << held.error().describe();
  EXPECT_NE(held->find("a=recvonly"), std::string::npos);
  // Commands apply asynchronously, in order: a stats query is a barrier.
  engine->query_stats(b.agent.id);
  ASSERT_TRUE(events.wait_for(MediaEvent::Kind::kStats, b.agent.id).has_value());
  b.caller_phone.stream_tone(440, 3);
  EXPECT_EQ(b.agent_phone.drain().size(), 0u);
  auto resumed = engine->answer_reoffer(b.agent.id, b.agent_phone.offer());
  ASSERT_TRUE(resumed.has_value());
  engine->query_stats(b.agent.id);
  ASSERT_TRUE(events.wait_for(MediaEvent::Kind::kStats, b.agent.id).has_value());
  b.caller_phone.stream_tone(440, 3);
  EXPECT_EQ(b.agent_phone.drain().size(), 3u);
}

TEST(MediaEngine, DetectsInbandDtmfWhenAsked) {
  Events events;
  auto engine = *MediaEngine::start(test_config(), events.callback());
  Phone phone;
  EndpointOptions o;
  o.detect_inband_dtmf = true;
  auto ep = *engine->create_answer(phone.offer(), o);
  phone.set_target(ep.port);
  auto tones = *generate_dtmf("5", 8000, 120, 100);
  phone.stream_pcm(tones);
  auto digit = events.wait_for(MediaEvent::Kind::kDtmf, ep.id);
  ASSERT_TRUE(digit.has_value());
  EXPECT_EQ(digit->digit.digit, '5');
  EXPECT_EQ(digit->digit.source, DtmfSource::kInband);
  EXPECT_NEAR(digit->digit.duration_ms, 120, 30);
}

TEST(MediaEngine, SendsRtcpSenderReportsToTheLatchedPeer) {
  Events events;
  auto cfg = test_config();
  cfg.rtcp_interval_ms = 200;
  auto engine = *MediaEngine::start(cfg, events.callback());
  Bridged b(*engine);
  b.agent_phone.stream_tone(440, 3);  // latch the agent leg
  b.caller_phone.stream_tone(440, 10);
  auto rtcp = b.agent_phone.receive_rtcp();
  ASSERT_TRUE(rtcp.has_value());
  ASSERT_FALSE(rtcp->reports.empty());
  ASSERT_TRUE(rtcp->reports[0].sender.has_value());  // we sent media: an SR
  EXPECT_GE(rtcp->reports[0].sender->packet_count, 1u);
  EXPECT_EQ(rtcp->cname, std::optional<std::string>("hotline"));
}

TEST(MediaEngine, BridgesAnSrtpLegToAPlainOne) {
  Events events;
  auto engine = *MediaEngine::start(test_config(), events.callback());
  Phone caller;
  caller.use_srtp(*generate_sdes_key());
  Phone agent;
  EndpointOptions so;
  so.srtp_inline_key = *generate_sdes_key();
  auto c = engine->create_answer(caller.offer(), so);
  ASSERT_TRUE(c.has_value()) << c.error().describe();
  EXPECT_NE(c->sdp.find("RTP/SAVP"), std::string::npos);
  caller.set_answer(c->sdp);
  EndpointOptions o;
  o.colocate_with = c->id;
  auto a = *engine->create_answer(agent.offer(), o);
  ASSERT_TRUE(engine->bridge(c->id, a.id).has_value());
  caller.set_target(c->port);
  agent.set_target(a.port);
  caller.stream_tone(440, 10);
  auto plain = agent.drain();
  ASSERT_EQ(plain.size(), 10u);
  EXPECT_NEAR(analysis::dominant_frequency(decode_all(plain, CodecId::kPcmu, 0), 8000), 440, 10);
  agent.stream_tone(1000, 10);
  auto decrypted = caller.drain();  // only packets that authenticate with the engine's key
  ASSERT_EQ(decrypted.size(), 10u);
  EXPECT_NEAR(analysis::dominant_frequency(decode_all(decrypted, CodecId::kPcmu, 0), 8000), 1000,
              10);
}

TEST(MediaEngine, RefusesToBridgeAcrossThreads) {
  Events events;
  auto engine = *MediaEngine::start(test_config(), events.callback());
  Phone a, b;
  auto x = *engine->create_answer(a.offer());
  auto y = *engine->create_answer(b.offer());  // least loaded: the other thread
  auto st = engine->bridge(x.id, y.id);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code, ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace hotline::media
