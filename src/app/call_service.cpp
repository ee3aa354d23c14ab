#include "app/call_service.hpp"

#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <sys/stat.h>

#include <cmath>
#include <filesystem>

#include "cc/ivr/flow_loader.hpp"
#include "common/log.hpp"
#include "media/audio_source.hpp"

namespace hotline::app {
namespace {

constexpr std::string_view kLog = "calls";
// What the contact center asks for as music on hold: "moh/<class>".
constexpr std::string_view kMusicPrefix = "moh/";
constexpr std::string_view kDefaultMusicText = "Please hold, your call is important to us.";

media::EngineConfig engine_config(const MediaConfig& m) {
  media::EngineConfig c;
  c.bind_address = m.address;
  c.sdp_address = m.address;
  c.port_min = m.rtp_port_min;
  c.port_max = m.rtp_port_max;
  c.threads = m.threads;
  c.rtp_timeout_ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(m.rtp_timeout).count());
  return c;
}

std::string first_listener(const SipConfig& sip) {
  return sip.listen.empty() ? "127.0.0.1:5060" : sip.listen.front().address.to_string();
}

}  // namespace

CallService::CallService(boost::asio::io_context& loop, const Clock& clock, const Config& config,
                         SipService& sip, WorkerPool& workers, EventBus& events)
    : loop_(loop), clock_(clock), config_(config), sip_(sip), workers_(workers), events_(events) {}

CallService::~CallService() {
  stop();
}

Status CallService::start() {
  const CallsConfig& calls = config_.calls;
  // Media events come on media threads: hand them to the loop.
  auto engine = media::MediaEngine::start(
      engine_config(calls.media),
      [this, alive = std::weak_ptr<bool>(alive_)](const media::MediaEvent& e) {
        boost::asio::post(loop_, [this, alive, e] {
          if (alive.expired() || !b2bua_) return;
          if (!voicemail_ || !voicemail_->on_media_event(e)) b2bua_->on_media_event(e);
          after_input();
        });
      });
  if (!engine) return std::unexpected(engine.error());
  media_ = std::move(*engine);
  speech_ = std::make_shared<media::SpeechCache>(std::filesystem::path(config_.server.data_dir) /
                                                 "prompts");

  sw::B2buaPorts ports;
  ports.locate = [this](std::string_view extension) {
    std::vector<sw::Contact> out;
    for (const sip::Binding& b : sip_.contacts_of(extension)) out.push_back({b.contact, b.source});
    return out;
  };
  ports.authenticate_extension =
      [this](const sip::IncomingRequest& r) -> std::optional<std::string> {
    sip::AuthResult auth = sip_.authenticate(r.request, r.source);
    if (auth.verdict == sip::AuthResult::Verdict::kAccepted) return auth.user;
    sip::Reply reply;
    if (auth.verdict == sip::AuthResult::Verdict::kChallenge) {
      reply.status = 401;
      reply.reason = "Unauthorized";
      reply.content.content_type.clear();
      for (std::string& c : auth.challenges)
        reply.content.headers.emplace_back("WWW-Authenticate", c);
    } else {
      reply.status = 403;
      reply.reason = "Forbidden";
      reply.content.content_type.clear();
    }
    (void)sip_.dialogs().respond(r.txn, reply);
    return std::nullopt;
  };
  ports.emit = [this](std::string_view type, sw::CallId call, const nlohmann::json& payload) {
    if (type == "call.created") {
      CallFacts& f = facts_[call];
      f.caller = payload.value("caller", "");
      f.dialled = payload.value("dialled", "");
    }
    publish(type, call, payload);
    if (type == "call.ended") {
      if (voicemail_) voicemail_->call_ended(call);
      facts_.erase(call);
    }
  };
  flows_ = calls.flows;
  ports.flow = [this](std::string_view name) {
    if (auto it = voicemail_flows_.find(name); it != voicemail_flows_.end()) return it->second;
    return flows_->find(name);
  };
  ports.voicemail = [this](sw::CallId call, const cc::ivr::RouteToVoicemail& route) {
    return start_voicemail(call, route);
  };
  ports.play = [this](sw::CallId call, media::EndpointId ep, const cc::ivr::Command& c) {
    play(call, ep, c);
  };
  ports.zones = &system_zones();
  http_ = std::make_unique<HttpLookup>(loop_);
  ports.http_get = [this](sw::CallId call, const cc::ivr::HttpGet& g) { http_get(call, g); };

  sw::B2buaConfig bc;
  bc.tenant = config_.server.tenant;
  bc.contact = "<sip:hotline@" + first_listener(config_.sip) + ">";
  bc.domain = config_.sip.listen.empty() ? "127.0.0.1" : config_.sip.listen.front().address.host;
  bc.ring_timeout = calls.ring_timeout;
  bc.max_call_duration = calls.max_duration;
  bc.recording = calls.recording;
  {
    const std::filesystem::path data_dir(config_.server.data_dir);
    bc.recording.dir =
        bc.recording.dir.empty() ? data_dir / "recordings" : data_dir / bc.recording.dir;
    std::error_code ec;  // the recorder reports a missing directory per call
    if (bc.recording.mode != sw::RecordingMode::kOff || !bc.recording.queues.empty() ||
        !bc.recording.extensions.empty()) {
      std::filesystem::create_directories(bc.recording.dir, ec);
    }
  }
  if (calls.music_on_hold) bc.music_on_hold = *calls.music_on_hold;
  bc.metrics = metrics_;
  b2bua_ = std::make_unique<sw::B2bua>(clock_, *media_, std::move(ports), bc);
  b2bua_->attach(sip_.dialogs());
  b2bua_->set_routing(voicemail_targets_as_flows(calls.dialplan), calls.trunks);
  b2bua_->set_endpoint_observer(
      [this](sw::CallId call, media::EndpointId ep) { facts_[call].caller_media = ep; });
  {
    std::filesystem::path dir = config_.voicemail.directory.empty()
                                    ? std::filesystem::path(config_.server.data_dir) / "voicemail"
                                    : std::filesystem::path(config_.voicemail.directory);
    VoicemailPorts vp;
    vp.hang_up = [this](std::uint64_t call) {
      if (b2bua_) b2bua_->end_call(call, sw::EndCause::kIvrHangup);
    };
    vp.emit = [this](std::string_view type, std::uint64_t call, nlohmann::json payload) {
      publish(type, call, payload);
    };
    vp.rearm = [this] { after_input(); };
    voicemail_ = std::make_unique<VoicemailService>(
        loop_, clock_, *media_, workers_, speech_, calls.speech_voice, config_.voicemail,
        config_.server.tenant, dir / config_.server.tenant, voicemail_store_, std::move(vp));
  }
  b2bua_->set_feature_codes(calls.feature_codes);

  const ContactCenterConfig& ccc = calls.contact_center;
  if (!ccc.queues.empty()) {
    sw::ContactCenterSetup setup{ccc.skills, {}, ccc.agents, ccc.acd};
    for (const CcQueue& q : ccc.queues) setup.queues.push_back({q.config, q.skills});
    auto center = sw::ContactCenter::create(clock_, *b2bua_, std::move(setup));
    if (!center) return std::unexpected(center.error());
    contact_center_ = std::move(*center);
  }
  sip_.set_call_handler(
      b2bua_.get(),
      [this]() -> std::optional<MonoTime> {
        std::optional<MonoTime> next = b2bua_->next_deadline();
        if (contact_center_) {
          if (auto c = contact_center_->next_deadline(); c && (!next || *c < *next)) next = c;
        }
        if (auto v = voicemail_->next_deadline(); v && (!next || *v < *next)) next = v;
        return next;
      },
      [this](MonoTime now) {
        b2bua_->on_timer(now);
        if (contact_center_) contact_center_->on_timer(now);
        voicemail_->on_timer(now);
      });
  log::info(
      kLog, "calls ready",
      {log::kv("rtp_ports",
               fmt::format("{}-{}", calls.media.rtp_port_min, calls.media.rtp_port_max)),
       log::kv("media_threads", media_->threads()), log::kv("ivr_flows", calls.flows->flows.size()),
       log::kv("queues", ccc.queues.size()), log::kv("agents", ccc.agents.size())});
  return {};
}

void CallService::reload(const CallsConfig& calls) {
  if (!b2bua_) return;
  // A call already in a flow holds that Flow (a shared snapshot): it finishes on the
  // old definition; new calls route by the new plan and flows.
  flows_ = calls.flows;
  b2bua_->set_routing(voicemail_targets_as_flows(calls.dialplan), calls.trunks);
  b2bua_->set_feature_codes(calls.feature_codes);
  log::info(kLog, "call routing reloaded",
            {log::kv("dialplan_rules", calls.dialplan.rules().size()),
             log::kv("ivr_flows", calls.flows->flows.size())});
}

void CallService::stop() {
  if (!b2bua_) return;
  b2bua_->hang_up_all();
  sip_.set_call_handler(nullptr, {}, {});
  sip_.rearm();
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
  contact_center_.reset();  // before the B2BUA it is registered with
  http_.reset();            // no lookup answers a call that is gone
  b2bua_.reset();
  voicemail_.reset();  // messages still recording at shutdown are finalised, not listed
  facts_.clear();
  media_.reset();
}

void CallService::publish(std::string_view type, sw::CallId call, const nlohmann::json& payload) {
  nlohmann::json p = payload;
  EventIds ids;
  if (call != 0) {
    p["call"] = call;
    ids.interaction_id = fmt::format("c-{}", call);
  }
  if (p.contains("agent") && p["agent"].is_string()) ids.agent_id = p["agent"].get<std::string>();
  if (p.contains("queue") && p["queue"].is_string()) ids.queue_id = p["queue"].get<std::string>();
  events_.publish(std::string(type), std::move(p), std::move(ids));
}

namespace {
// The box name a dial-plan rule without one stands for: the dialled number.
constexpr std::string_view kDialledBox = "=dialled";
}  // namespace

sw::DialPlan CallService::voicemail_targets_as_flows(const sw::DialPlan& plan) {
  std::vector<sw::DialRule> rules = plan.rules();
  for (sw::DialRule& rule : rules) {
    if (rule.target.kind != sw::Target::Kind::kVoicemail) continue;
    const std::string box = rule.target.name.empty() ? std::string(kDialledBox) : rule.target.name;
    const std::string name = "voicemail:" + box;
    rule.target = sw::Target{sw::Target::Kind::kIvr, name, 404};
    if (voicemail_flows_.contains(name)) continue;
    ConfigErrors errors;
    const std::string text = fmt::format(
        "flows:\n  voicemail:\n    start: box\n    nodes:\n      box: {{type: voicemail, box: "
        "{}}}\n",
        nlohmann::json(box).dump());
    auto loaded = cc::ivr::load_flows_from_text(text, "<voicemail " + box + ">", {}, errors);
    if (!loaded || !loaded->find("voicemail")) {
      log::error(kLog, "cannot make the voicemail flow", {log::kv("box", box)});
      continue;
    }
    voicemail_flows_[name] = loaded->find("voicemail");
  }
  return sw::DialPlan(std::move(rules), plan.numbering());
}

bool CallService::start_voicemail(sw::CallId call, const cc::ivr::RouteToVoicemail& route) {
  auto it = facts_.find(call);
  if (it == facts_.end() || !voicemail_) return false;
  const std::string box = route.box == kDialledBox ? it->second.dialled : route.box;
  return voicemail_->start(call, it->second.caller_media, box, it->second.caller);
}

void CallService::after_input() {
  sip_.rearm();
}

void CallService::http_get(sw::CallId call, const cc::ivr::HttpGet& request) {
  const MonoTime started = clock_.mono();
  http_->get(request, [this, call, started, url = request.url](const cc::ivr::Event& e) {
    const double ms = std::chrono::duration<double, std::milli>(clock_.mono() - started).count();
    nlohmann::json p{{"url", url}, {"ms", std::round(ms * 10) / 10}};
    if (const auto* r = std::get_if<cc::ivr::HttpResponse>(&e)) {
      p["status"] = r->status;
      p["bytes"] = r->body.size();
    } else if (const auto* f = std::get_if<cc::ivr::HttpFailed>(&e)) {
      p["error"] = f->reason;
    }
    log::debug(kLog, "ivr http lookup", {log::kv("call", call), log::kv("detail", p.dump())});
    p["call"] = call;
    events_.publish("ivr.http_lookup", std::move(p), EventIds{fmt::format("c-{}", call), {}, {}});
    if (!b2bua_) return;
    b2bua_->on_ivr_event(call, e);
    after_input();
  });
}

cc::ivr::Command CallService::music_for(const cc::ivr::PlayFile& request) const {
  // The contact center names music by class ("moh/<class>"): one configured music
  // serves every class; without one, a spoken default.
  cc::ivr::Command music =
      config_.calls.music_on_hold
          ? *config_.calls.music_on_hold
          : cc::ivr::Command{cc::ivr::PlayTts{0, std::string(kDefaultMusicText), "", "", false}};
  std::visit(
      [&](auto& m) {
        if constexpr (requires { m.barge_in; }) {
          m.id = request.id;
          m.barge_in = request.barge_in;
        }
      },
      music);
  return music;
}

std::optional<CallService::ClipStamp> CallService::stamp_of(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return ClipStamp{
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
      static_cast<std::int64_t>(st.st_size)};
}

std::shared_ptr<const media::AudioClip> CallService::cached_clip(const std::string& path, int rate,
                                                                 const ClipStamp& stamp) {
  auto it = clips_.find(ClipKey{path, rate});
  if (it == clips_.end()) return nullptr;
  if (it->second.stamp != stamp) {  // edited since: drop it, the worker reloads
    clip_bytes_ -= it->second.bytes;
    lru_.erase(it->second.lru);
    clips_.erase(it);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.clip;
}

void CallService::cache_clip(const std::string& path, int rate, const ClipStamp& stamp,
                             std::shared_ptr<const media::AudioClip> clip) {
  const std::size_t bytes = clip->samples.size() * sizeof(std::int16_t) + path.size();
  if (bytes > kClipCacheBytes) return;
  ClipKey key{path, rate};
  if (auto it = clips_.find(key); it != clips_.end()) {
    clip_bytes_ -= it->second.bytes;
    lru_.erase(it->second.lru);
    clips_.erase(it);
  }
  while (clip_bytes_ + bytes > kClipCacheBytes && !lru_.empty()) {
    auto victim = clips_.find(lru_.back());
    clip_bytes_ -= victim->second.bytes;
    clips_.erase(victim);
    lru_.pop_back();
  }
  lru_.push_front(key);
  clips_.emplace(std::move(key), CachedClip{stamp, bytes, std::move(clip), lru_.begin()});
  clip_bytes_ += bytes;
}

void CallService::play(sw::CallId call, media::EndpointId endpoint,
                       const cc::ivr::Command& requested) {
  // Loading a file or synthesising speech blocks: a worker does it, the loop plays it.
  // Decoded files are cached here (by path, rate, mtime and size).
  const int rate = media_->mix_rate();
  cc::ivr::Command command = requested;
  if (const auto* f = std::get_if<cc::ivr::PlayFile>(&requested);
      f && f->file.starts_with(kMusicPrefix)) {
    command = music_for(*f);
  }
  std::string text, file, voice = config_.calls.speech_voice;
  cc::ivr::PromptId id = 0;
  bool barge_in = false;
  if (const auto* tts = std::get_if<cc::ivr::PlayTts>(&command)) {
    text = tts->text;
    log::debug(kLog, "prompt", {log::kv("call", call), log::kv("text", text)});
    if (!tts->voice.empty()) voice = tts->voice;
    id = tts->id;
    barge_in = tts->barge_in;
  } else if (const auto* f = std::get_if<cc::ivr::PlayFile>(&command)) {
    file = f->file;
    id = f->id;
    barge_in = f->barge_in;
  } else {
    return;
  }
  auto start = [this, call, endpoint, id,
                barge_in](Result<std::shared_ptr<const media::AudioClip>> clip) {
    bool ok = clip.has_value();
    if (ok) {
      ok = media_->play(endpoint, std::make_unique<media::ClipSource>(*clip), barge_in).has_value();
    } else {
      log::warn(kLog, "prompt unavailable",
                {log::kv("call", call), log::kv("error", clip.error().message)});
    }
    if (!ok) b2bua_->on_ivr_event(call, cc::ivr::PromptFinished{id, true});
    after_input();
  };
  std::optional<ClipStamp> stamp;
  if (!file.empty()) {
    stamp = stamp_of(file);
    if (stamp) {
      if (auto clip = cached_clip(file, rate, *stamp)) {
        clip_hits_++;
        log::debug(kLog, "prompt from cache", {log::kv("call", call), log::kv("file", file)});
        // Posted, as a loaded prompt is: the B2BUA is not re-entered from its own port.
        boost::asio::post(loop_, [this, alive = std::weak_ptr<bool>(alive_), start,
                                  clip = std::move(clip)]() mutable {
          if (alive.expired() || !b2bua_) return;
          start(std::move(clip));
        });
        return;
      }
    }
  }
  workers_.submit(
      loop_,
      [speech = speech_, rate, text, file, voice]() -> Result<media::AudioClip> {
        if (!text.empty()) return speech->get(text, media::VoiceSettings{voice, 160}, rate);
        return media::load_audio_file(file, rate);
      },
      [this, alive = std::weak_ptr<bool>(alive_), file, rate, stamp,
       start](Result<media::AudioClip> clip) {
        if (alive.expired() || !b2bua_) return;
        if (!clip) return start(std::unexpected(clip.error()));
        auto shared = std::make_shared<const media::AudioClip>(std::move(*clip));
        if (stamp) cache_clip(file, rate, *stamp, shared);
        start(std::move(shared));
      });
}

}  // namespace hotline::app
