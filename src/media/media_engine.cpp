#include "media/media_engine.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "media/media_thread.hpp"
#include "media/port_allocator.hpp"
#include "media/recording_worker.hpp"
#include "media/sdp.hpp"

namespace hotline::media {
namespace {

constexpr int kIdShift = 48;

int bind_udp(const std::string& address, std::uint16_t port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1 ||
      bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

struct MediaEngine::Impl {
  struct Info {
    int thread = 0;
    std::uint16_t port = 0;
    EndpointOptions options;
    std::optional<SessionDescription> our_offer;  // until the answer arrives
    std::uint64_t sdp_version = 1;
  };
  struct Sockets {
    std::uint16_t port = 0;
    int rtp = -1;
    int rtcp = -1;
  };

  Impl(const EngineConfig& c, EventCallback cb, PortAllocator p)
      : config(c), on_event(std::move(cb)), ports(std::move(p)) {}

  EngineConfig config;
  EventCallback on_event;
  PortAllocator ports;
  std::unique_ptr<RecordingWorker> worker = std::make_unique<RecordingWorker>();
  std::vector<std::unique_ptr<MediaThread>> threads;

  mutable std::mutex mu;
  std::unordered_map<EndpointId, Info> registry;  // GUARDED_BY(mu)
  std::vector<std::size_t> load;                  // GUARDED_BY(mu), endpoints per thread
  std::uint64_t next_seq = 1;                     // GUARDED_BY(mu)

  Result<Sockets> open_pair() {
    const std::size_t attempts = std::min<std::size_t>(ports.capacity(), 64);
    for (std::size_t i = 0; i < attempts; ++i) {
      auto port = ports.allocate();
      if (!port) break;
      int rtp = bind_udp(config.bind_address, *port);
      int rtcp =
          rtp >= 0 ? bind_udp(config.bind_address, static_cast<std::uint16_t>(*port + 1)) : -1;
      if (rtp >= 0 && rtcp >= 0) return Sockets{*port, rtp, rtcp};
      if (rtp >= 0) close(rtp);
      ports.release(*port);  // held by another process; round-robin moves past it
    }
    return fail(ErrorCode::kResourceExhausted, "no free rtp port pair in " +
                                                   std::to_string(config.port_min) + "-" +
                                                   std::to_string(config.port_max));
  }
  void close_pair(const Sockets& s) {
    close(s.rtp);
    close(s.rtcp);
    ports.release(s.port);
  }

  LocalMediaOptions local_options(const EndpointOptions& o, std::uint16_t port,
                                  std::uint64_t version) const {
    LocalMediaOptions l;
    l.address = config.sdp_address;
    l.port = port;
    l.codecs = o.codecs.empty() ? config.codecs : o.codecs;
    l.telephone_event = o.telephone_event;
    l.direction = o.direction;
    l.srtp_inline_key = o.srtp_inline_key;
    l.session_id = port;
    l.session_version = version;
    return l;
  }

  Result<int> pick_thread(const EndpointOptions& o) {
    std::lock_guard lock(mu);
    if (o.colocate_with) {
      auto it = registry.find(*o.colocate_with);
      if (it == registry.end())
        return fail(ErrorCode::kNotFound,
                    "colocate_with: no endpoint " + std::to_string(*o.colocate_with));
      return it->second.thread;
    }
    std::size_t best = 0;
    for (std::size_t i = 1; i < load.size(); ++i)
      if (load[i] < load[best]) best = i;
    return static_cast<int>(best);
  }

  EndpointId register_endpoint(int thread, Info info) {
    std::lock_guard lock(mu);
    EndpointId id = (static_cast<EndpointId>(thread + 1) << kIdShift) | next_seq++;
    info.thread = thread;
    registry.emplace(id, std::move(info));
    ++load[static_cast<std::size_t>(thread)];
    return id;
  }

  void place(int thread, EndpointId id, const Sockets& s, const EndpointOptions& o,
             std::optional<NegotiatedMedia> media) {
    auto ep = std::make_unique<Endpoint>();
    ep->id = id;
    ep->port = s.port;
    ep->rtp_fd = s.rtp;
    ep->rtcp_fd = s.rtcp;
    ep->detect_inband = o.detect_inband_dtmf;
    threads[static_cast<std::size_t>(thread)]->post(
        [ep = std::move(ep), media = std::move(media)](MediaThread& t) mutable {
          Endpoint& ref = *ep;
          t.add(std::move(ep));
          if (media) t.set_media(ref, *media);
        });
  }

  // Runs `fn` on the endpoint's thread if it is still there.
  Status on_endpoint(EndpointId id, std::move_only_function<void(MediaThread&, Endpoint&)> fn) {
    int t;
    {
      std::lock_guard lock(mu);
      auto it = registry.find(id);
      if (it == registry.end())
        return fail(ErrorCode::kNotFound, "no media endpoint " + std::to_string(id));
      t = it->second.thread;
    }
    threads[static_cast<std::size_t>(t)]->post([id, fn = std::move(fn)](MediaThread& th) mutable {
      if (Endpoint* ep = th.find(id)) fn(th, *ep);
    });
    return {};
  }

  Status same_thread(std::initializer_list<EndpointId> ids) {
    std::lock_guard lock(mu);
    int t = -1;
    for (EndpointId id : ids) {
      auto it = registry.find(id);
      if (it == registry.end())
        return fail(ErrorCode::kNotFound, "no media endpoint " + std::to_string(id));
      if (t >= 0 && it->second.thread != t)
        return fail(ErrorCode::kFailedPrecondition,
                    "endpoints are on different media threads (create the second leg "
                    "with colocate_with)");
      t = it->second.thread;
    }
    return {};
  }
};

MediaEngine::MediaEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MediaEngine::~MediaEngine() {
  // Threads first (their endpoints hand recordings to the worker), then the worker (a job
  // of it may still post to a stopped thread, whose queue is then simply dropped).
  for (auto& t : impl_->threads) t->stop();
  impl_->worker.reset();
  impl_->threads.clear();
}

Result<std::unique_ptr<MediaEngine>> MediaEngine::start(const EngineConfig& config,
                                                        EventCallback on_event) {
  auto ports = PortAllocator::create(config.port_min, config.port_max);
  if (!ports) return std::unexpected(ports.error());
  if (config.mix_rate != 8000 && config.mix_rate != 16000 && config.mix_rate != 48000)
    return fail(ErrorCode::kInvalidArgument, "media mix_rate must be 8000, 16000 or 48000");
  auto impl = std::make_unique<Impl>(config, std::move(on_event), std::move(*ports));
  int n = config.threads > 0 ? config.threads
                             : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  impl->load.assign(static_cast<std::size_t>(n), 0);
  for (int i = 0; i < n; ++i) {
    impl->threads.push_back(
        std::make_unique<MediaThread>(i, impl->config, impl->on_event, impl->ports, *impl->worker));
    if (auto st = impl->threads.back()->start(); !st) return std::unexpected(st.error());
  }
  return std::unique_ptr<MediaEngine>(new MediaEngine(std::move(impl)));
}

Result<CreatedEndpoint> MediaEngine::create_offer(const EndpointOptions& options) {
  auto thread = impl_->pick_thread(options);
  if (!thread) return std::unexpected(thread.error());
  auto sockets = impl_->open_pair();
  if (!sockets) return std::unexpected(sockets.error());
  auto offer = build_offer(impl_->local_options(options, sockets->port, 1));
  if (!offer) {
    impl_->close_pair(*sockets);
    return std::unexpected(offer.error());
  }
  Impl::Info info;
  info.port = sockets->port;
  info.options = options;
  info.our_offer = *offer;
  EndpointId id = impl_->register_endpoint(*thread, std::move(info));
  impl_->place(*thread, id, *sockets, options, std::nullopt);
  return CreatedEndpoint{id, to_string(*offer), sockets->port, std::nullopt};
}

Status MediaEngine::apply_answer(EndpointId id, std::string_view answer_sdp) {
  auto answer = parse_sdp(answer_sdp);
  if (!answer) return std::unexpected(answer.error());
  SessionDescription offer;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->registry.find(id);
    if (it == impl_->registry.end())
      return fail(ErrorCode::kNotFound, "no media endpoint " + std::to_string(id));
    if (!it->second.our_offer)
      return fail(ErrorCode::kFailedPrecondition, "no offer of ours is waiting for an answer");
    offer = *it->second.our_offer;
  }
  auto media = media::apply_answer(offer, *answer);
  if (!media) return std::unexpected(media.error());
  {
    std::lock_guard lock(impl_->mu);
    if (auto it = impl_->registry.find(id); it != impl_->registry.end())
      it->second.our_offer.reset();
  }
  return impl_->on_endpoint(id, [m = *media](MediaThread& t, Endpoint& ep) { t.set_media(ep, m); });
}

Result<CreatedEndpoint> MediaEngine::create_answer(std::string_view offer_sdp,
                                                   const EndpointOptions& options) {
  auto offer = parse_sdp(offer_sdp);
  if (!offer) return std::unexpected(offer.error());
  auto thread = impl_->pick_thread(options);
  if (!thread) return std::unexpected(thread.error());
  auto sockets = impl_->open_pair();
  if (!sockets) return std::unexpected(sockets.error());
  auto answer = answer_offer(*offer, impl_->local_options(options, sockets->port, 1));
  if (!answer) {
    impl_->close_pair(*sockets);
    return std::unexpected(answer.error());
  }
  Impl::Info info;
  info.port = sockets->port;
  info.options = options;
  EndpointId id = impl_->register_endpoint(*thread, std::move(info));
  impl_->place(*thread, id, *sockets, options, answer->media);
  return CreatedEndpoint{id, to_string(answer->sdp), sockets->port, answer->media};
}

Result<std::string> MediaEngine::answer_reoffer(EndpointId id, std::string_view offer_sdp) {
  auto offer = parse_sdp(offer_sdp);
  if (!offer) return std::unexpected(offer.error());
  LocalMediaOptions local;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->registry.find(id);
    if (it == impl_->registry.end())
      return fail(ErrorCode::kNotFound, "no media endpoint " + std::to_string(id));
    local = impl_->local_options(it->second.options, it->second.port, ++it->second.sdp_version);
  }
  auto answer = answer_offer(*offer, local);
  if (!answer) return std::unexpected(answer.error());
  auto st = impl_->on_endpoint(
      id, [m = answer->media](MediaThread& t, Endpoint& ep) { t.set_media(ep, m); });
  if (!st) return std::unexpected(st.error());
  return to_string(answer->sdp);
}

Status MediaEngine::bridge(EndpointId caller, EndpointId agent) {
  if (caller == agent) return fail(ErrorCode::kInvalidArgument, "cannot bridge a leg to itself");
  if (auto st = impl_->same_thread({caller, agent}); !st) return st;
  return impl_->on_endpoint(caller, [agent](MediaThread& t, Endpoint& ep) {
    if (Endpoint* other = t.find(agent)) t.bridge(ep, *other);
  });
}

Status MediaEngine::unbridge(EndpointId either) {
  return impl_->on_endpoint(either, [](MediaThread& t, Endpoint& ep) { t.unbridge(ep); });
}

Status MediaEngine::play(EndpointId id, std::unique_ptr<AudioSource> source, bool barge_in) {
  return impl_->on_endpoint(
      id, [src = std::move(source), barge_in](MediaThread&, Endpoint& ep) mutable {
        ep.playlist.enqueue(std::move(src), barge_in);
      });
}

Status MediaEngine::stop_playback(EndpointId id) {
  return impl_->on_endpoint(id, [](MediaThread&, Endpoint& ep) { ep.playlist.clear(); });
}

Status MediaEngine::start_recording(EndpointId caller, RecorderOptions options) {
  std::size_t t;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->registry.find(caller);
    if (it == impl_->registry.end())
      return fail(ErrorCode::kNotFound, "no media endpoint " + std::to_string(caller));
    t = static_cast<std::size_t>(it->second.thread);
  }
  options.sample_rate = impl_->config.mix_rate;
  MediaThread* thread = impl_->threads[t].get();
  Impl* impl = impl_.get();
  impl_->worker->post([options, caller, thread, impl]() mutable {
    auto rec = Recorder::start(options);
    if (!rec) {
      MediaEvent ev;
      ev.kind = MediaEvent::Kind::kRecordingFailed;
      ev.endpoint = caller;
      ev.error = rec.error().describe();
      if (impl->on_event) impl->on_event(ev);
      return;
    }
    thread->post([caller, r = std::move(*rec)](MediaThread& th) mutable {
      Endpoint* ep = th.find(caller);
      Endpoint holder;  // gone before the file opened: finalise it at once
      Endpoint& target = ep ? *ep : holder;
      th.detach_recorder(target);  // a second start replaces the first recording
      target.recorder = std::move(r);
      if (!ep) {
        holder.id = caller;
        th.detach_recorder(holder);
      }
    });
  });
  return {};
}

Status MediaEngine::pause_recording(EndpointId caller) {
  return impl_->on_endpoint(caller, [](MediaThread&, Endpoint& ep) {
    if (ep.recorder) ep.recorder->pause();
  });
}

Status MediaEngine::resume_recording(EndpointId caller) {
  return impl_->on_endpoint(caller, [](MediaThread&, Endpoint& ep) {
    if (ep.recorder) ep.recorder->resume();
  });
}

Status MediaEngine::stop_recording(EndpointId caller) {
  return impl_->on_endpoint(caller, [](MediaThread& t, Endpoint& ep) { t.detach_recorder(ep); });
}

Status MediaEngine::detect_silence(EndpointId id, int silence_ms, int level) {
  if (silence_ms < 0 || level < 0)
    return fail(ErrorCode::kInvalidArgument, "silence detection needs a duration and level >= 0");
  return impl_->on_endpoint(id, [silence_ms, level](MediaThread&, Endpoint& ep) {
    ep.silence_ms = silence_ms;
    ep.silence_level = level;
    ep.quiet_ms = 0;
    ep.silence_reported = false;
  });
}

Status MediaEngine::monitor(EndpointId supervisor, EndpointId caller, EndpointId agent,
                            MonitorMode mode) {
  if (supervisor == caller || supervisor == agent || caller == agent)
    return fail(ErrorCode::kInvalidArgument, "monitor needs three distinct legs");
  if (auto st = impl_->same_thread({supervisor, caller, agent}); !st) return st;
  return impl_->on_endpoint(supervisor, [caller, agent, mode](MediaThread& t, Endpoint& sup) {
    Endpoint* c = t.find(caller);
    Endpoint* a = t.find(agent);
    if (c && a) t.monitor(sup, *c, *a, mode);
  });
}

Status MediaEngine::stop_monitor(EndpointId supervisor) {
  return impl_->on_endpoint(supervisor, [](MediaThread& t, Endpoint& sup) { t.stop_monitor(sup); });
}

Status MediaEngine::query_stats(EndpointId id) {
  return impl_->on_endpoint(id, [](MediaThread& t, Endpoint& ep) { t.emit_stats(ep, false); });
}

Status MediaEngine::destroy(EndpointId id) {
  int t;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->registry.find(id);
    if (it == impl_->registry.end())
      return fail(ErrorCode::kNotFound, "no media endpoint " + std::to_string(id));
    t = it->second.thread;
    --impl_->load[static_cast<std::size_t>(t)];
    impl_->registry.erase(it);
  }
  impl_->threads[static_cast<std::size_t>(t)]->post([id](MediaThread& th) { th.remove(id); });
  return {};
}

int MediaEngine::threads() const {
  return static_cast<int>(impl_->threads.size());
}
int MediaEngine::mix_rate() const {
  return impl_->config.mix_rate;
}
std::size_t MediaEngine::ports_in_use() const {
  return impl_->ports.in_use();
}
std::size_t MediaEngine::endpoints() const {
  std::lock_guard lock(impl_->mu);
  return impl_->registry.size();
}

}  // namespace hotline::media
