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
#include "media/media_path.hpp"
#include "media/recording_worker.hpp"
#include "media/rtcp.hpp"
#include "media/rtp.hpp"

namespace hotline::media {
using namespace media_detail;

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

}  // namespace hotline::media
