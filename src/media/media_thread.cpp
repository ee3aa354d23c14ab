#include "media/media_thread.hpp"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#include "common/log.hpp"
#include "media/recording_worker.hpp"
#include "media/rtcp.hpp"
#include "media/rtp.hpp"

namespace hotline::media {
namespace {

constexpr int kRxBatch = 32;  // datagrams per recvmmsg
constexpr int kTxBatch = 64;  // datagrams queued before a sendmmsg flush
constexpr std::size_t kSlot = kMaxRtpPacketBytes + kSrtpMaxTrailer;
constexpr int kTickMs = 20;
constexpr std::int64_t kHousekeepingUs = 100'000;
constexpr std::int64_t kDtmfFlushUs = 200'000;  // event with no end packet: report it
constexpr int kMaxRxPcmFrames = 4;              // bound on received audio waiting for a tick

bool can_send(const Endpoint& ep) {
  return ep.negotiated &&
         (ep.media.direction == Direction::kSendRecv || ep.media.direction == Direction::kSendOnly);
}
bool can_receive(const Endpoint& ep) {
  return ep.negotiated &&
         (ep.media.direction == Direction::kSendRecv || ep.media.direction == Direction::kRecvOnly);
}
std::uint32_t frame_step(const Endpoint& ep) {
  return static_cast<std::uint32_t>(ep.media.codec.clock_rate * ep.media.ptime / 1000);
}
bool same_codec(const Endpoint& a, const Endpoint& b) {
  return a.media.codec.id == b.media.codec.id &&
         a.media.codec.clock_rate == b.media.codec.clock_rate;
}
std::uint64_t ntp_now() {
  using namespace std::chrono;
  auto us = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  std::uint64_t secs = static_cast<std::uint64_t>(us / 1'000'000) + 2'208'988'800ULL;
  std::uint64_t frac = (static_cast<std::uint64_t>(us % 1'000'000) << 32) / 1'000'000;
  return (secs << 32) | frac;
}
std::string to_string(const sockaddr_in& a) {
  char ip[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
  return std::string(ip) + ":" + std::to_string(ntohs(a.sin_port));
}
sockaddr_in make_addr(const std::string& ip, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1) a.sin_port = 0;  // unusable: latch
  return a;
}
void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
void mix_into(std::span<std::int16_t> acc, std::span<const std::int16_t> add) {
  for (std::size_t i = 0; i < acc.size() && i < add.size(); ++i) {
    int s = acc[i] + add[i];
    acc[i] = static_cast<std::int16_t>(std::clamp(s, -32768, 32767));
  }
}

}  // namespace

MediaThread::MediaThread(int index, const EngineConfig& config, EventCallback& on_event,
                         PortAllocator& ports, RecordingWorker& recording)
    : index_(index),
      config_(config),
      on_event_(on_event),
      ports_(ports),
      recording_(recording),
      rng_(static_cast<std::mt19937::result_type>(std::random_device{}() + index)) {
  rx_buf_.resize(kRxBatch * kSlot);
  rx_msgs_.resize(kRxBatch);
  rx_iov_.resize(kRxBatch);
  rx_addr_.resize(kRxBatch);
  tx_buf_.resize(kTxBatch * kSlot);
  tx_msgs_.resize(kTxBatch);
  tx_iov_.resize(kTxBatch);
  tx_addr_.resize(kTxBatch);
  tx_fd_.resize(kTxBatch);
  pcm_.resize(48000 * kTickMs / 1000 * 6);
}

MediaThread::~MediaThread() {
  stop();
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (event_fd_ >= 0) close(event_fd_);
  if (timer_fd_ >= 0) close(timer_fd_);
}

Status MediaThread::start() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (epoll_fd_ < 0 || event_fd_ < 0 || timer_fd_ < 0)
    return fail(ErrorCode::kIo, std::string("media thread: ") + std::strerror(errno));
  itimerspec ts{};
  ts.it_interval.tv_nsec = kTickMs * 1'000'000L;
  ts.it_value.tv_nsec = kTickMs * 1'000'000L;
  timerfd_settime(timer_fd_, 0, &ts, nullptr);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &event_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, event_fd_, &ev);
  ev.data.ptr = &timer_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, timer_fd_, &ev);
  thread_ = std::thread([this] { run(); });
  return {};
}

void MediaThread::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = write(event_fd_, &one, sizeof one);
  thread_.join();
}

void MediaThread::post(std::move_only_function<void(MediaThread&)> fn) {
  {
    std::lock_guard lock(mu_);
    commands_.push_back(std::move(fn));
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = write(event_fd_, &one, sizeof one);
}

std::int64_t MediaThread::now_us() const {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

void MediaThread::run() {
  std::vector<epoll_event> evs(256);
  // Optional wake-up coalescing: after a busy pass, sleep out the rest of poll_interval_us
  // before looking again, so one wake-up collects the packets of many calls. Adds at most
  // poll_interval_us of delay; an idle thread blocks in epoll_wait as usual. Off by
  // default: on the reference machine it saved no CPU (docs/media.md).
  const std::int64_t interval_ns = config_.poll_interval_us * 1000LL;
  bool busy = false;
  timespec pass_start{};
  while (!stopping_) {
    if (busy && interval_ns > 0) {
      timespec until = pass_start;
      until.tv_nsec += interval_ns;
      until.tv_sec += until.tv_nsec / 1'000'000'000;
      until.tv_nsec %= 1'000'000'000;
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr);
    }
    int n = epoll_wait(epoll_fd_, evs.data(), static_cast<int>(evs.size()), busy ? 0 : -1);
    clock_gettime(CLOCK_MONOTONIC, &pass_start);
    busy = n > 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      log::error("media", "epoll_wait failed", {{"error", std::strerror(errno)}});
      break;
    }
    // Commands first, so one posted before a packet arrived applies before that packet
    // (e.g. a bridge before the first RTP). An endpoint a command removes is parked in
    // graveyard_ until the batch ends, since its socket event may still be in `evs`.
    for (int i = 0; i < n; ++i) {
      if (evs[static_cast<std::size_t>(i)].data.ptr == &event_fd_) {
        std::uint64_t v;
        [[maybe_unused]] auto r = read(event_fd_, &v, sizeof v);
        drain_commands();
      }
    }
    for (int i = 0; i < n; ++i) {
      void* p = evs[static_cast<std::size_t>(i)].data.ptr;
      if (p == &event_fd_) continue;
      if (p == &timer_fd_) {
        std::uint64_t expirations = 0;
        if (read(timer_fd_, &expirations, sizeof expirations) == sizeof expirations) {
          // Catch up a little after a stall, but never spin through a long one.
          for (std::uint64_t k = 0; k < std::min<std::uint64_t>(expirations, 3); ++k) tick();
          if (now_us() >= next_housekeeping_us_) {
            housekeeping();
            next_housekeeping_us_ = now_us() + kHousekeepingUs;
          }
        }
      } else {
        auto* tag = static_cast<Endpoint::SocketTag*>(p);
        if (!tag->ep->removed) on_readable(tag);
      }
    }
    flush_sends();
    graveyard_.clear();
  }
  drain_commands();
  std::vector<EndpointId> ids;
  for (auto& [id, ep] : endpoints_) ids.push_back(id);
  for (auto id : ids) remove(id);
  flush_sends();
  graveyard_.clear();
}

void MediaThread::drain_commands() {
  std::vector<std::move_only_function<void(MediaThread&)>> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(commands_);
  }
  for (auto& fn : batch) fn(*this);
}

Endpoint* MediaThread::find(EndpointId id) {
  auto it = endpoints_.find(id);
  return it == endpoints_.end() ? nullptr : it->second.get();
}

void MediaThread::add(std::unique_ptr<Endpoint> ep) {
  ep->ssrc = static_cast<std::uint32_t>(rng_());
  ep->out_seq = static_cast<std::uint16_t>(rng_());
  ep->out_ts = static_cast<std::uint32_t>(rng_());
  ep->latch = SourceLatch(config_.relatch_after_ms * 1000LL);
  ep->rtcp_latch = SourceLatch(config_.relatch_after_ms * 1000LL);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &ep->rtp_tag;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, ep->rtp_fd, &ev);
  if (ep->rtcp_fd >= 0) {
    ev.data.ptr = &ep->rtcp_tag;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, ep->rtcp_fd, &ev);
  }
  EndpointId id = ep->id;
  endpoints_[id] = std::move(ep);
}

void MediaThread::set_media(Endpoint& ep, const NegotiatedMedia& media) {
  auto codec = make_codec(media.codec, config_.codec_options);
  if (!codec) {
    log::warn("media", "codec unavailable",
              {{"endpoint", std::to_string(ep.id)}, {"error", codec.error().describe()}});
    return;
  }
  ep.srtp_in.reset();
  ep.srtp_out.reset();
  if (media.remote_crypto && media.local_crypto) {
    auto in = SrtpContext::create(*media.remote_crypto, SrtpDirection::kInbound);
    auto out = SrtpContext::create(*media.local_crypto, SrtpDirection::kOutbound);
    if (!in || !out) {
      log::warn("media", "srtp setup failed", {{"endpoint", std::to_string(ep.id)}});
      return;
    }
    ep.srtp_in.emplace(std::move(*in));
    ep.srtp_out.emplace(std::move(*out));
  }
  const bool same_clock = ep.negotiated && ep.media.codec == media.codec;
  ep.media = media;
  ep.codec = std::move(*codec);
  if (!same_clock) ep.rx.emplace(media.codec.clock_rate);
  ep.dtmf_rx = Rfc4733Receiver(media.telephone_event_clock);
  ep.event_pending = false;
  ep.negotiated = true;
  ep.latch.set_signalled(make_addr(media.remote_address, media.remote_rtp_port));
  ep.rtcp_latch.set_signalled(make_addr(media.remote_address, media.remote_rtcp_port));
  const int rate = ep.codec->sample_rate();
  ep.to_mix_rs.reset();
  ep.from_mix_rs.reset();
  ep.xcode_rs.reset();
  ep.xcode_fifo.clear();
  ep.synth_fifo.clear();
  if (rate != config_.mix_rate) {
    if (auto r = Resampler::create(rate, config_.mix_rate)) ep.to_mix_rs.emplace(std::move(*r));
    if (auto r = Resampler::create(config_.mix_rate, rate)) ep.from_mix_rs.emplace(std::move(*r));
  }
  ep.inband.reset();
  if (ep.detect_inband) {
    if (auto d = InbandDtmfDetector::create(rate)) ep.inband.emplace(std::move(*d));
  }
  ep.map_valid = false;
  ep.out_marker = true;
  ep.last_rx_us = now_us();
  ep.timed_out = false;
  std::uniform_int_distribution<int> jitter(config_.rtcp_interval_ms / 2,
                                            config_.rtcp_interval_ms * 3 / 2);
  ep.next_rtcp_us = now_us() + jitter(rng_) * 1000LL;
  if (ep.peer) ep.peer->map_valid = false;
}

void MediaThread::remove(EndpointId id) {
  Endpoint* ep = find(id);
  if (!ep) return;
  unbridge(*ep);
  stop_monitor(*ep);
  if (ep->mixers_of_me > 0) {
    for (auto& [oid, other] : endpoints_) {
      auto& src = other->mix_sources;
      if (std::erase(src, ep) > 0) other->map_valid = false;
    }
  }
  for (Endpoint* s : ep->mix_sources) --s->mixers_of_me;
  ep->mix_sources.clear();
  detach_recorder(*ep);
  if (ep->negotiated && ep->stats.packets_sent > 0) send_rtcp(*ep, true);
  flush_sends();
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, ep->rtp_fd, nullptr);
  close(ep->rtp_fd);
  if (ep->rtcp_fd >= 0) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, ep->rtcp_fd, nullptr);
    close(ep->rtcp_fd);
  }
  ports_.release(ep->port);
  emit_stats(*ep, true);  // after the release: a final kStats means the port is free
  ep->removed = true;
  auto it = endpoints_.find(id);
  graveyard_.push_back(std::move(it->second));
  endpoints_.erase(it);
}

void MediaThread::bridge(Endpoint& caller, Endpoint& agent) {
  unbridge(caller);
  unbridge(agent);
  caller.peer = &agent;
  agent.peer = &caller;
  caller.is_caller = true;
  agent.is_caller = false;
  caller.map_valid = agent.map_valid = false;
  // The recording follows the bridge: it lives on the caller leg.
  if (agent.recorder && !caller.recorder) caller.recorder = std::move(agent.recorder);
}

void MediaThread::unbridge(Endpoint& ep) {
  if (!ep.peer) return;
  ep.peer->peer = nullptr;
  ep.peer->map_valid = false;
  ep.peer = nullptr;
  ep.map_valid = false;
}

namespace {
void set_mix(Endpoint& ep, std::vector<Endpoint*> sources) {
  for (Endpoint* s : ep.mix_sources) --s->mixers_of_me;
  ep.mix_sources = std::move(sources);
  for (Endpoint* s : ep.mix_sources) ++s->mixers_of_me;
  ep.map_valid = false;
}
}  // namespace

void MediaThread::monitor(Endpoint& sup, Endpoint& caller, Endpoint& agent, MonitorMode mode) {
  stop_monitor(sup);
  sup.supervisor_of = &caller;
  set_mix(sup, {&caller, &agent});
  if (mode == MonitorMode::kWhisper || mode == MonitorMode::kBarge) set_mix(agent, {&caller, &sup});
  if (mode == MonitorMode::kBarge) set_mix(caller, {&agent, &sup});
}

void MediaThread::stop_monitor(Endpoint& sup) {
  if (!sup.supervisor_of) return;
  for (Endpoint* leg : {sup.supervisor_of, sup.supervisor_of->peer}) {
    if (leg &&
        std::find(leg->mix_sources.begin(), leg->mix_sources.end(), &sup) != leg->mix_sources.end())
      set_mix(*leg, {});
  }
  set_mix(sup, {});
  sup.supervisor_of = nullptr;
}

void MediaThread::emit(MediaEvent ev) {
  if (on_event_) on_event_(ev);
}

void MediaThread::emit_stats(Endpoint& ep, bool final) {
  MediaEvent ev;
  ev.kind = MediaEvent::Kind::kStats;
  ev.endpoint = ep.id;
  ev.final = final;
  ev.stats = ep.stats;
  if (ep.rx) {
    ev.stats.packets_lost = ep.lost_before + (ep.rx->received() ? ep.rx->cumulative_lost() : 0);
    ev.stats.jitter_ms = ep.rx->jitter_ms();
    ev.stats.max_jitter_ms = std::max(ep.stats.max_jitter_ms, ev.stats.jitter_ms);
  }
  ev.stats.relatches = static_cast<std::uint32_t>(ep.latch.relatches());
  ev.stats.remote = to_string(ep.latch.target());
  emit(std::move(ev));
}

void MediaThread::detach_recorder(Endpoint& ep) {
  if (!ep.recorder) return;
  recording_.post([rec = std::move(ep.recorder), id = ep.id, this]() mutable {
    auto st = rec->stop();
    MediaEvent ev;
    ev.endpoint = id;
    ev.kind = st ? MediaEvent::Kind::kRecordingStopped : MediaEvent::Kind::kRecordingFailed;
    if (!st) ev.error = st.error().describe();
    ev.recording = rec->stats();
    rec.reset();
    emit(std::move(ev));
  });
}

// ---------------------------------------------------------------------------- receive

void MediaThread::on_readable(Endpoint::SocketTag* tag) {
  Endpoint& ep = *tag->ep;
  const int fd = tag->rtcp ? ep.rtcp_fd : ep.rtp_fd;
  for (int i = 0; i < kRxBatch; ++i) {
    rx_iov_[i] = {rx_buf_.data() + static_cast<std::size_t>(i) * kSlot, kSlot};
    rx_msgs_[i].msg_hdr = {};
    rx_msgs_[i].msg_hdr.msg_name = &rx_addr_[i];
    rx_msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    rx_msgs_[i].msg_hdr.msg_iov = &rx_iov_[i];
    rx_msgs_[i].msg_hdr.msg_iovlen = 1;
  }
  // Level-triggered: one batch per readiness; what is left is reported again.
  int n = recvmmsg(fd, rx_msgs_.data(), kRxBatch, MSG_DONTWAIT, nullptr);
  for (int i = 0; i < n; ++i) {
    auto& m = rx_msgs_[static_cast<std::size_t>(i)];
    if ((m.msg_hdr.msg_flags & MSG_TRUNC) || m.msg_hdr.msg_namelen != sizeof(sockaddr_in)) {
      ++ep.stats.rejected_packets;
      continue;
    }
    std::span<std::uint8_t> pkt(static_cast<std::uint8_t*>(m.msg_hdr.msg_iov->iov_base), m.msg_len);
    if (tag->rtcp)
      on_rtcp(ep, pkt, rx_addr_[static_cast<std::size_t>(i)]);
    else
      on_rtp(ep, pkt, rx_addr_[static_cast<std::size_t>(i)]);
  }
}

void MediaThread::on_rtp(Endpoint& ep, std::span<std::uint8_t> pkt, const sockaddr_in& from) {
  if (!ep.negotiated) return;
  if (ep.media.rtcp_mux && looks_like_rtcp(pkt)) {
    on_rtcp(ep, pkt, from);
    return;
  }
  if (ep.srtp_in) {
    scratch_.assign(pkt.begin(), pkt.end());
    if (!ep.srtp_in->unprotect_rtp(scratch_)) {
      ++ep.stats.rejected_packets;
      return;
    }
    pkt = std::span<std::uint8_t>(scratch_);
  }
  auto parsed = parse_rtp(pkt);
  if (!parsed) {
    ++ep.stats.rejected_packets;
    return;
  }
  const RtpPacketView& v = *parsed;
  const bool is_event =
      ep.media.telephone_event_pt && v.header.payload_type == *ep.media.telephone_event_pt;
  if (!is_event && v.header.payload_type != ep.media.codec.payload_type) {
    ++ep.stats.rejected_packets;  // comfort noise, a codec we did not agree on
    return;
  }
  const std::int64_t now = now_us();
  if (ep.latch.on_packet(from, now) == SourceLatch::Verdict::kReject) {
    ++ep.stats.rejected_packets;
    return;
  }
  ep.last_rx_us = now;
  if (ep.timed_out) {
    ep.timed_out = false;
    MediaEvent ev;
    ev.kind = MediaEvent::Kind::kRtpResumed;
    ev.endpoint = ep.id;
    emit(std::move(ev));
  }
  const std::int64_t lost_so_far = ep.rx->received() ? ep.rx->cumulative_lost() : 0;
  const bool had_source = ep.rx->received() > 0;
  const RtpVerdict verdict = ep.rx->on_packet(v.header, now);
  if (verdict == RtpVerdict::kNewSource && had_source) {
    ep.lost_before += lost_so_far;
    ++ep.stats.ssrc_changes;
  }
  if (verdict == RtpVerdict::kDuplicate) return;
  ++ep.stats.packets_received;
  ep.stats.octets_received += v.payload.size();

  Endpoint* peer = ep.peer;
  const bool relay_to_peer = peer && can_send(*peer) && !peer->synth_out();

  if (is_event) {
    if (auto digits = ep.dtmf_rx.on_packet(v.payload, v.header.timestamp)) {
      report_digits(ep, *digits);
    } else {
      ++ep.stats.rejected_packets;
      return;
    }
    ep.last_event_us = now;
    ep.event_pending = true;
    if (relay_to_peer && peer->media.telephone_event_pt) {
      if (same_codec(ep, *peer))
        relay(ep, *peer, pkt, v, true);
      else
        relay_event_transcoded(ep, *peer, v);
    }
    return;
  }

  const bool transcode_to_peer = relay_to_peer && !same_codec(ep, *peer);
  if (ep.needs_pcm() || transcode_to_peer) {
    auto n = ep.codec->decode(v.payload, pcm_);
    if (!n) {
      ++ep.stats.rejected_packets;
      return;
    }
    std::span<const std::int16_t> pcm(pcm_.data(), *n);
    if (ep.needs_pcm()) decode_for_pcm(ep, pcm);
    if (transcode_to_peer) transcode(*peer, pcm, ep.codec->sample_rate());
  }
  if (relay_to_peer && !transcode_to_peer) relay(ep, *peer, pkt, v, false);
}

// Feeds the decoded frame in pcm_ (codec rate) to in-band detection and the mix FIFO.
void MediaThread::decode_for_pcm(Endpoint& ep, std::span<const std::int16_t> pcm) {
  if (ep.inband) report_digits(ep, ep.inband->process(pcm));
  if (ep.to_mix_rs) {
    ep.to_mix_rs->process(pcm, ep.rx_pcm);
  } else {
    ep.rx_pcm.insert(ep.rx_pcm.end(), pcm.begin(), pcm.end());
  }
  const std::size_t cap =
      static_cast<std::size_t>(config_.mix_rate * kTickMs / 1000 * kMaxRxPcmFrames);
  if (ep.rx_pcm.size() > cap)
    ep.rx_pcm.erase(ep.rx_pcm.begin(),
                    ep.rx_pcm.begin() + static_cast<std::ptrdiff_t>(ep.rx_pcm.size() - cap));
}

void MediaThread::report_digits(Endpoint& ep, const std::vector<DtmfDigit>& digits) {
  for (const auto& d : digits) {
    ep.playlist.on_dtmf(d.digit);
    MediaEvent ev;
    ev.kind = MediaEvent::Kind::kDtmf;
    ev.endpoint = ep.id;
    ev.digit = d;
    emit(std::move(ev));
  }
}

void MediaThread::on_rtcp(Endpoint& ep, std::span<const std::uint8_t> pkt,
                          const sockaddr_in& from) {
  if (!ep.negotiated) return;
  std::vector<std::uint8_t> plain;
  if (ep.srtp_in) {
    plain.assign(pkt.begin(), pkt.end());
    if (!ep.srtp_in->unprotect_rtcp(plain)) {
      ++ep.stats.rejected_packets;
      return;
    }
    pkt = plain;
  }
  auto parsed = parse_rtcp(pkt);
  if (!parsed) {
    ++ep.stats.rejected_packets;
    return;
  }
  const std::int64_t now = now_us();
  if (!ep.media.rtcp_mux) ep.rtcp_latch.on_packet(from, now);
  for (const auto& r : parsed->reports) {
    if (r.sender) {
      ep.last_sr_middle = ntp_middle(r.sender->ntp_timestamp);
      ep.last_sr_arrival_us = now;
    }
    for (const auto& b : r.blocks) {
      if (b.ssrc != ep.ssrc) continue;
      ep.stats.remote_fraction_lost = b.fraction_lost / 256.0;
      ep.stats.remote_jitter_ms = b.jitter * 1000.0 / ep.media.codec.clock_rate;
      if (auto rtt = round_trip_ms(b, ntp_now())) ep.stats.rtt_ms = *rtt;
    }
  }
}

// ---------------------------------------------------------------------------- send

void MediaThread::relay(Endpoint& from, Endpoint& to, std::span<std::uint8_t> pkt,
                        const RtpPacketView& v, bool is_event) {
  (void)from;
  if (!to.map_valid || to.map_ssrc != v.header.ssrc) {
    to.seq_off = static_cast<std::uint16_t>(to.out_seq - v.header.sequence);
    to.ts_off = to.out_ts - v.header.timestamp;
    to.map_ssrc = v.header.ssrc;
    to.map_valid = true;
    to.out_marker = true;
  }
  const std::uint16_t seq = static_cast<std::uint16_t>(v.header.sequence + to.seq_off);
  const std::uint32_t ts = v.header.timestamp + to.ts_off;
  const std::uint8_t pt = static_cast<std::uint8_t>(is_event ? *to.media.telephone_event_pt
                                                             : to.media.codec.payload_type);
  // Rewrite the fixed header in place: the payload (and any CSRC/extension) is untouched.
  std::uint8_t* b = pkt.data();
  const bool marker = (b[1] & 0x80) || to.out_marker;
  b[1] = static_cast<std::uint8_t>((marker ? 0x80 : 0) | pt);
  put16(b + 2, seq);
  put32(b + 4, ts);
  put32(b + 8, to.ssrc);
  to.out_marker = false;
  // Keep our line moving: the next packet from any source continues from here.
  if (static_cast<std::int16_t>(static_cast<std::uint16_t>(seq + 1 - to.out_seq)) > 0)
    to.out_seq = static_cast<std::uint16_t>(seq + 1);
  if (!is_event && static_cast<std::int32_t>(ts + frame_step(to) - to.out_ts) > 0)
    to.out_ts = ts + frame_step(to);
  ++to.stats.packets_sent;
  to.stats.octets_sent += v.payload.size();
  if (to.srtp_out) {
    scratch_.assign(pkt.begin(), pkt.end());
    if (!to.srtp_out->protect_rtp(scratch_)) return;
    queue_send(to, scratch_, false);
  } else {
    queue_send(to, pkt, false);
  }
}

void MediaThread::transcode(Endpoint& to, std::span<const std::int16_t> pcm, int rate) {
  const int out_rate = to.codec->sample_rate();
  if (rate != out_rate) {
    if (!to.xcode_rs || to.xcode_rs->in_rate() != rate) {
      auto r = Resampler::create(rate, out_rate);
      if (!r) return;
      to.xcode_rs.emplace(std::move(*r));
    }
    to.xcode_rs->process(pcm, to.xcode_fifo);
  } else {
    to.xcode_fifo.insert(to.xcode_fifo.end(), pcm.begin(), pcm.end());
  }
  const std::size_t frame = static_cast<std::size_t>(to.codec->frame_samples());
  std::size_t pos = 0;
  std::uint8_t payload[kMaxEncodedFrameBytes];
  while (to.xcode_fifo.size() - pos >= frame) {
    auto n = to.codec->encode(std::span(to.xcode_fifo.data() + pos, frame), payload);
    pos += frame;
    if (!n) continue;
    send_packet(to, std::span(payload, *n), static_cast<std::uint8_t>(to.media.codec.payload_type),
                to.out_ts, to.out_marker);
    to.out_ts += frame_step(to);
  }
  to.xcode_fifo.erase(to.xcode_fifo.begin(),
                      to.xcode_fifo.begin() + static_cast<std::ptrdiff_t>(pos));
}

void MediaThread::relay_event_transcoded(Endpoint& from, Endpoint& to, const RtpPacketView& v) {
  auto e = parse_telephone_event(v.payload);
  if (!e) return;
  if (!to.relay_event_active || to.relay_event_src_ts != v.header.timestamp) {
    to.relay_event_active = true;
    to.relay_event_src_ts = v.header.timestamp;
    to.relay_event_out_ts = to.out_ts;
    to.out_marker = true;
  }
  TelephoneEvent out = *e;
  out.duration = static_cast<std::uint16_t>(std::min<std::int64_t>(
      0xffff, static_cast<std::int64_t>(e->duration) * to.media.telephone_event_clock /
                  std::max(1, from.media.telephone_event_clock)));
  auto bytes = serialize(out);
  send_packet(to, bytes, static_cast<std::uint8_t>(*to.media.telephone_event_pt),
              to.relay_event_out_ts, to.out_marker);
}

void MediaThread::send_packet(Endpoint& ep, std::span<const std::uint8_t> payload, std::uint8_t pt,
                              std::uint32_t ts, bool marker) {
  if (!can_send(ep)) return;
  std::uint8_t hdr[kRtpHeaderBytes];
  hdr[0] = 0x80;
  hdr[1] = static_cast<std::uint8_t>((marker ? 0x80 : 0) | pt);
  put16(hdr + 2, ep.out_seq++);
  put32(hdr + 4, ts);
  put32(hdr + 8, ep.ssrc);
  ep.out_marker = false;
  ++ep.stats.packets_sent;
  ep.stats.octets_sent += payload.size();
  scratch_.assign(hdr, hdr + kRtpHeaderBytes);
  scratch_.insert(scratch_.end(), payload.begin(), payload.end());
  if (ep.srtp_out && !ep.srtp_out->protect_rtp(scratch_)) return;
  queue_send(ep, scratch_, false);
}

void MediaThread::queue_send(Endpoint& ep, std::span<const std::uint8_t> bytes, bool rtcp) {
  const sockaddr_in& to = (rtcp && !ep.media.rtcp_mux) ? ep.rtcp_latch.target() : ep.latch.target();
  if (to.sin_port == 0 || bytes.size() > kSlot) return;
  if (tx_count_ == kTxBatch) flush_sends();
  std::uint8_t* slot = tx_buf_.data() + tx_count_ * kSlot;
  std::memcpy(slot, bytes.data(), bytes.size());
  tx_iov_[tx_count_] = {slot, bytes.size()};
  tx_addr_[tx_count_] = to;
  tx_fd_[tx_count_] = (rtcp && !ep.media.rtcp_mux) ? ep.rtcp_fd : ep.rtp_fd;
  ++tx_count_;
}

void MediaThread::flush_sends() {
  std::size_t start = 0;
  while (start < tx_count_) {
    std::size_t end = start + 1;
    while (end < tx_count_ && tx_fd_[end] == tx_fd_[start]) ++end;
    for (std::size_t i = start; i < end; ++i) {
      tx_msgs_[i].msg_hdr = {};
      tx_msgs_[i].msg_hdr.msg_name = &tx_addr_[i];
      tx_msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
      tx_msgs_[i].msg_hdr.msg_iov = &tx_iov_[i];
      tx_msgs_[i].msg_hdr.msg_iovlen = 1;
    }
    if (end - start == 1) {
      // One datagram: sendto is the cheaper call.
      [[maybe_unused]] auto r =
          sendto(tx_fd_[start], tx_iov_[start].iov_base, tx_iov_[start].iov_len, MSG_DONTWAIT,
                 reinterpret_cast<const sockaddr*>(&tx_addr_[start]), sizeof(sockaddr_in));
    } else {
      [[maybe_unused]] auto r = sendmmsg(tx_fd_[start], &tx_msgs_[start],
                                         static_cast<unsigned>(end - start), MSG_DONTWAIT);
    }
    start = end;
  }
  tx_count_ = 0;
}

// ---------------------------------------------------------------------------- ticks

void MediaThread::tick() {
  const std::size_t mix_frame = static_cast<std::size_t>(config_.mix_rate * kTickMs / 1000);
  // Pass 1: each leg whose audio someone needs takes this tick's frame.
  for (auto& [id, ep] : endpoints_) {
    if (!ep->needs_pcm()) continue;
    ep->frame.assign(mix_frame, 0);
    const std::size_t take = std::min(mix_frame, ep->rx_pcm.size());
    std::copy_n(ep->rx_pcm.begin(), take, ep->frame.begin());
    ep->rx_pcm.erase(ep->rx_pcm.begin(), ep->rx_pcm.begin() + static_cast<std::ptrdiff_t>(take));
  }
  // Pass 2: recordings, prompts and mixes.
  std::vector<std::int16_t> silence(mix_frame, 0);
  for (auto& [id, ep_ptr] : endpoints_) {
    Endpoint& ep = *ep_ptr;
    if (ep.recorder) {
      const auto& other = ep.peer && ep.peer->frame.size() == mix_frame ? ep.peer->frame : silence;
      const auto& mine = ep.frame.size() == mix_frame ? ep.frame : silence;
      ep.recorder->write(mine, other);
    }
    const bool playing = !ep.playlist.finished();
    if (!playing && ep.was_playing) {
      ep.was_playing = false;
      ep.map_valid = false;
      MediaEvent ev;
      ev.kind = MediaEvent::Kind::kPlaybackFinished;
      ev.endpoint = ep.id;
      emit(std::move(ev));
    }
    if (!playing && ep.mix_sources.empty()) continue;
    if (!ep.negotiated) continue;
    pcm2_.assign(mix_frame, 0);
    if (playing) {
      if (!ep.was_playing) ep.out_marker = true;
      ep.was_playing = true;
      ep.playlist.read(pcm2_);
    } else {
      for (Endpoint* s : ep.mix_sources)
        if (s->frame.size() == mix_frame) mix_into(pcm2_, s->frame);
    }
    ep.map_valid = false;  // relay (when it resumes) continues our timestamp line
    if (ep.from_mix_rs)
      ep.from_mix_rs->process(pcm2_, ep.synth_fifo);
    else
      ep.synth_fifo.insert(ep.synth_fifo.end(), pcm2_.begin(), pcm2_.end());
    send_frame_from_pcm(ep);
  }
}

void MediaThread::send_frame_from_pcm(Endpoint& ep) {
  const std::size_t frame = static_cast<std::size_t>(ep.codec->frame_samples());
  std::size_t pos = 0;
  std::uint8_t payload[kMaxEncodedFrameBytes];
  while (ep.synth_fifo.size() - pos >= frame) {
    auto n = ep.codec->encode(std::span(ep.synth_fifo.data() + pos, frame), payload);
    pos += frame;
    if (!n) continue;
    send_packet(ep, std::span(payload, *n), static_cast<std::uint8_t>(ep.media.codec.payload_type),
                ep.out_ts, ep.out_marker);
    ep.out_ts += frame_step(ep);
  }
  ep.synth_fifo.erase(ep.synth_fifo.begin(),
                      ep.synth_fifo.begin() + static_cast<std::ptrdiff_t>(pos));
}

void MediaThread::housekeeping() {
  const std::int64_t now = now_us();
  for (auto& [id, ep_ptr] : endpoints_) {
    Endpoint& ep = *ep_ptr;
    if (!ep.negotiated) continue;
    if (ep.event_pending && now - ep.last_event_us >= kDtmfFlushUs) {
      ep.event_pending = false;
      if (auto d = ep.dtmf_rx.flush()) report_digits(ep, {*d});
    }
    if (ep.rx && ep.rx->received())
      ep.stats.max_jitter_ms = std::max(ep.stats.max_jitter_ms, ep.rx->jitter_ms());
    if (!ep.timed_out && can_receive(ep) && config_.rtp_timeout_ms > 0 &&
        now - ep.last_rx_us >= config_.rtp_timeout_ms * 1000LL) {
      ep.timed_out = true;
      MediaEvent ev;
      ev.kind = MediaEvent::Kind::kRtpTimeout;
      ev.endpoint = ep.id;
      emit(std::move(ev));
    }
    if (now >= ep.next_rtcp_us) {
      send_rtcp(ep, false);
      std::uniform_int_distribution<int> jitter(config_.rtcp_interval_ms / 2,
                                                config_.rtcp_interval_ms * 3 / 2);
      ep.next_rtcp_us = now + jitter(rng_) * 1000LL;
    }
  }
}

void MediaThread::send_rtcp(Endpoint& ep, bool bye) {
  RtcpReport report;
  report.ssrc = ep.ssrc;
  if (ep.stats.packets_sent > 0) {
    report.sender =
        SenderInfo{ntp_now(), ep.out_ts, static_cast<std::uint32_t>(ep.stats.packets_sent),
                   static_cast<std::uint32_t>(ep.stats.octets_sent)};
  }
  if (ep.rx && ep.rx->received() > 0) {
    std::uint32_t dlsr = 0;
    if (ep.last_sr_middle != 0)
      dlsr = static_cast<std::uint32_t>((now_us() - ep.last_sr_arrival_us) * 65536 / 1'000'000);
    report.blocks.push_back(ep.rx->make_report_block(ep.last_sr_middle, dlsr));
  }
  std::vector<std::uint8_t> buf;
  build_rtcp(report, config_.cname, buf);
  if (bye) append_rtcp_bye(ep.ssrc, buf);
  if (ep.srtp_out && !ep.srtp_out->protect_rtcp(buf)) return;
  ++ep.rtcp_sent_packets;
  queue_send(ep, buf, true);
}

}  // namespace hotline::media
