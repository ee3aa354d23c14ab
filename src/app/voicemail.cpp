#include "app/voicemail.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cmath>
#include <numbers>

#include "common/log.hpp"
#include "media/audio_source.hpp"

namespace hotline::app {
namespace {

constexpr std::string_view kLog = "voicemail";
// The goodbye ends the call when it ends, or after this at the latest.
constexpr auto kGoodbyeLimit = std::chrono::seconds(15);

std::shared_ptr<media::AudioClip> beep(int hz, Duration length, int rate) {
  auto clip = std::make_shared<media::AudioClip>();
  clip->sample_rate = rate;
  const auto n = static_cast<std::size_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(length).count() * rate / 1000);
  clip->samples.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    // A short fade at both ends so the tone does not click.
    const double edge = std::min(1.0, static_cast<double>(std::min(i, n - 1 - i)) / (rate / 100));
    clip->samples[i] = static_cast<std::int16_t>(std::lround(
        8000.0 * edge * std::sin(2.0 * std::numbers::pi * hz * static_cast<double>(i) / rate)));
  }
  return clip;
}

Result<media::AudioClip> load_prompt(const VoicemailPrompt& p, media::SpeechCache& speech,
                                     const std::string& voice, int rate) {
  if (!p.file.empty()) return media::load_audio_file(p.file, rate);
  if (p.tts.empty()) return fail(ErrorCode::kNotFound, "no prompt");
  return speech.get(p.tts, media::VoiceSettings{voice, 160}, rate);
}

}  // namespace

// ---- VoicemailStore ------------------------------------------------------------

Result<std::int64_t> VoicemailStore::add(const store::VoicemailMessage& m) {
  std::lock_guard lock(mu_);
  return repo_.add(m);
}
Result<std::vector<store::VoicemailMessage>> VoicemailStore::list(const store::VoicemailQuery& q) {
  std::lock_guard lock(mu_);
  return repo_.list(q);
}
Result<store::VoicemailMessage> VoicemailStore::get(std::string_view tenant, std::int64_t id) {
  std::lock_guard lock(mu_);
  return repo_.get(tenant, id);
}
Status VoicemailStore::mark_heard(std::string_view tenant, std::int64_t id) {
  std::lock_guard lock(mu_);
  return repo_.mark_heard(tenant, id);
}
Status VoicemailStore::remove(std::string_view tenant, std::int64_t id) {
  std::lock_guard lock(mu_);
  return repo_.remove(tenant, id);
}

// ---- VoicemailService ------------------------------------------------------------

VoicemailService::VoicemailService(boost::asio::io_context& loop, const Clock& clock,
                                   media::MediaEngine& media, WorkerPool& workers,
                                   std::shared_ptr<media::SpeechCache> speech, std::string voice,
                                   VoicemailConfig config, std::string tenant,
                                   std::filesystem::path directory, VoicemailStore* store,
                                   VoicemailPorts ports)
    : loop_(loop),
      clock_(clock),
      media_(media),
      workers_(workers),
      speech_(std::move(speech)),
      voice_(std::move(voice)),
      config_(std::move(config)),
      tenant_(std::move(tenant)),
      directory_(std::move(directory)),
      store_(store),
      ports_(std::move(ports)) {}

VoicemailService::~VoicemailService() {
  *alive_ = false;
}

Duration VoicemailService::max_length(const std::string& box) const {
  auto it = config_.boxes.find(box);
  if (it != config_.boxes.end() && it->second.max_length > Duration::zero())
    return it->second.max_length;
  return config_.max_length;
}

const VoicemailPrompt& VoicemailService::greeting(const std::string& box) const {
  auto it = config_.boxes.find(box);
  if (it != config_.boxes.end() &&
      (!it->second.greeting.tts.empty() || !it->second.greeting.file.empty()))
    return it->second.greeting;
  return config_.greeting;
}

bool VoicemailService::start(CallId call, media::EndpointId endpoint, const std::string& box,
                             const std::string& caller) {
  if (endpoint == 0 || box.empty() || box.find_first_of("/\\") != std::string::npos ||
      box.starts_with(".") || sessions_.contains(endpoint)) {
    log::warn(kLog, "cannot take the call", {log::kv("call", call), log::kv("box", box)});
    return false;
  }
  Session& s = sessions_[endpoint];
  s.call = call;
  s.endpoint = endpoint;
  s.box = box;
  s.caller = caller;
  s.started = clock_.now();
  const auto secs = std::chrono::floor<std::chrono::seconds>(s.started);
  s.path = (directory_ / box / fmt::format("{:%Y%m%dT%H%M%S}Z-c{}.wav", secs, call)).string();
  by_call_[call] = endpoint;
  ports_.emit("voicemail.started", call, {{"box", box}});

  const int rate = media_.mix_rate();
  workers_.submit(
      loop_,
      [speech = speech_, prompt = greeting(box), voice = voice_, rate,
       dir = std::filesystem::path(s.path).parent_path()]() -> Result<media::AudioClip> {
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec) return fail(ErrorCode::kUnavailable, "cannot create " + dir.string());
        return load_prompt(prompt, *speech, voice, rate);
      },
      [this, alive = std::weak_ptr<bool>(alive_), endpoint, call,
       rate](Result<media::AudioClip> clip) {
        if (alive.expired()) return;
        auto it = sessions_.find(endpoint);
        if (it == sessions_.end() || it->second.call != call) return;
        Session& session = it->second;
        if (session.phase != Phase::kGreeting || session.caller_gone) return;
        bool playing = false;
        if (clip) {
          playing = media_
                        .play(endpoint,
                              std::make_unique<media::ClipSource>(
                                  std::make_shared<media::AudioClip>(std::move(*clip))),
                              true)
                        .has_value();
        } else {
          log::warn(kLog, "greeting unavailable",
                    {log::kv("call", call), log::kv("error", clip.error().message)});
        }
        if (config_.beep_length > Duration::zero()) {
          playing |= media_
                         .play(endpoint,
                               std::make_unique<media::ClipSource>(
                                   beep(config_.beep_hz, config_.beep_length, rate)),
                               true)
                         .has_value();
        }
        session.greeting_loaded = true;
        if (!playing) start_recording(session);
        if (ports_.rearm) ports_.rearm();
      });
  return true;
}

void VoicemailService::start_recording(Session& s) {
  media::RecorderOptions options;
  options.path = s.path;
  options.layout = media::RecordingLayout::kMixedMono;
  if (auto st = media_.start_recording(s.endpoint, options); !st) {
    log::warn(kLog, "cannot record",
              {log::kv("call", s.call), log::kv("error", st.error().message)});
    s.phase = Phase::kStopping;
    goodbye(s);
    return;
  }
  if (config_.silence > Duration::zero()) {
    (void)media_.detect_silence(
        s.endpoint,
        static_cast<int>(
            std::chrono::duration_cast<std::chrono::milliseconds>(config_.silence).count()),
        config_.silence_level);
  }
  s.phase = Phase::kRecording;
  s.deadline = clock_.mono() + max_length(s.box);
  s.started = clock_.now();
  log::debug(kLog, "recording", {log::kv("call", s.call), log::kv("path", s.path)});
}

void VoicemailService::finish(Session& s, std::string reason) {
  if (s.phase != Phase::kRecording) return;
  s.end_reason = std::move(reason);
  s.phase = Phase::kStopping;
  s.deadline.reset();
  (void)media_.detect_silence(s.endpoint, 0);
  (void)media_.stop_recording(s.endpoint);  // kRecordingStopped follows
}

bool VoicemailService::on_media_event(const media::MediaEvent& e) {
  auto it = sessions_.find(e.endpoint);
  if (it == sessions_.end()) return false;
  Session& s = it->second;
  using Kind = media::MediaEvent::Kind;
  switch (e.kind) {
    case Kind::kPlaybackFinished:
      if (s.phase == Phase::kGreeting && s.greeting_loaded && !s.caller_gone) {
        start_recording(s);
      } else if (s.phase == Phase::kGoodbye && !s.caller_gone) {
        ports_.hang_up(s.call);  // call_ended() follows and forgets the session
      }
      return true;
    case Kind::kDtmf:
      if (e.digit.digit == '#') finish(s, "key");
      return false;  // the switch logs the key too
    case Kind::kSilence: finish(s, "silence"); return true;
    case Kind::kRecordingStopped:
    case Kind::kRecordingFailed: recording_done(s, e); return true;
    default: return false;
  }
}

void VoicemailService::recording_done(Session& s, const media::MediaEvent& e) {
  if (s.phase == Phase::kRecording) s.end_reason = "hangup";
  const auto duration_ms =
      static_cast<std::int64_t>(e.recording.frames_written * 1000 /
                                static_cast<std::uint64_t>(std::max(1, media_.mix_rate())));
  const auto min_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.min_length).count();
  const bool failed = e.kind == media::MediaEvent::Kind::kRecordingFailed;
  if (failed || duration_ms < min_ms) {
    log::info(kLog, "message dropped",
              {log::kv("call", s.call), log::kv("box", s.box), log::kv("ms", duration_ms),
               log::kv("error", e.error)});
    ports_.emit("voicemail.dropped", s.call,
                {{"box", s.box},
                 {"duration_s", duration_ms / 1000.0},
                 {"reason", failed ? "recording failed" : "too short"}});
    workers_.submit(
        loop_,
        [path = s.path] {
          std::error_code ec;
          std::filesystem::remove(path, ec);
        },
        [] {});
  } else {
    store::VoicemailMessage m;
    m.tenant_id = tenant_;
    m.box = s.box;
    m.caller = s.caller;
    m.call_id = fmt::format("c-{}", s.call);
    m.created_at = s.started;
    m.duration_ms = duration_ms;
    m.file_path = s.path;
    workers_.submit(
        loop_,
        [store = store_, m]() -> Result<std::int64_t> {
          if (store == nullptr) return fail(ErrorCode::kUnavailable, "no voicemail storage");
          return store->add(m);
        },
        [this, alive = std::weak_ptr<bool>(alive_), m, call = s.call,
         reason = s.end_reason](Result<std::int64_t> id) {
          if (alive.expired()) return;
          if (!id) {
            log::error(kLog, "cannot store the message",
                       {log::kv("call", call), log::kv("error", id.error().message)});
            return;
          }
          log::info(kLog, "message",
                    {log::kv("call", call), log::kv("box", m.box), log::kv("id", *id),
                     log::kv("ms", m.duration_ms)});
          ports_.emit("voicemail.message", call,
                      {{"id", *id},
                       {"box", m.box},
                       {"caller", m.caller},
                       {"duration_s", m.duration_ms / 1000.0},
                       {"ended_by", reason}});
        });
  }
  if (s.caller_gone) return forget(s.endpoint);
  goodbye(s);
}

void VoicemailService::goodbye(Session& s) {
  s.phase = Phase::kGoodbye;
  s.deadline = clock_.mono() + kGoodbyeLimit;
  const media::EndpointId endpoint = s.endpoint;
  const CallId call = s.call;
  workers_.submit(
      loop_,
      [speech = speech_, prompt = config_.goodbye, voice = voice_, rate = media_.mix_rate()]()
          -> Result<media::AudioClip> { return load_prompt(prompt, *speech, voice, rate); },
      [this, alive = std::weak_ptr<bool>(alive_), endpoint, call](Result<media::AudioClip> clip) {
        if (alive.expired()) return;
        auto it = sessions_.find(endpoint);
        if (it == sessions_.end() || it->second.call != call || it->second.caller_gone) return;
        const bool playing =
            clip && media_
                        .play(endpoint,
                              std::make_unique<media::ClipSource>(
                                  std::make_shared<media::AudioClip>(std::move(*clip))),
                              false)
                        .has_value();
        if (!playing) ports_.hang_up(call);
        if (ports_.rearm) ports_.rearm();
      });
}

void VoicemailService::call_ended(CallId call) {
  auto it = by_call_.find(call);
  if (it == by_call_.end()) return;
  auto s = sessions_.find(it->second);
  if (s == sessions_.end()) {
    by_call_.erase(it);
    return;
  }
  Session& session = s->second;
  session.caller_gone = true;
  session.deadline.reset();
  switch (session.phase) {
    case Phase::kGreeting:
      // A recording may be opening (start_recording is never called before the
      // greeting ends, so none is): nothing to keep.
      forget(session.endpoint);
      return;
    case Phase::kRecording:
      // The endpoint is destroyed with the call: its recorder is finalised and
      // kRecordingStopped comes; the message is kept if long enough.
      session.end_reason = "hangup";
      session.phase = Phase::kStopping;
      return;
    case Phase::kStopping: return;  // the recording's end is on its way
    case Phase::kGoodbye: forget(session.endpoint); return;
  }
}

void VoicemailService::forget(media::EndpointId endpoint) {
  auto it = sessions_.find(endpoint);
  if (it == sessions_.end()) return;
  by_call_.erase(it->second.call);
  sessions_.erase(it);
}

std::optional<MonoTime> VoicemailService::next_deadline() const {
  std::optional<MonoTime> next;
  for (const auto& [ep, s] : sessions_) {
    if (s.deadline && (!next || *s.deadline < *next)) next = s.deadline;
  }
  return next;
}

void VoicemailService::on_timer(MonoTime now) {
  std::vector<media::EndpointId> due;
  for (const auto& [ep, s] : sessions_) {
    if (s.deadline && *s.deadline <= now) due.push_back(ep);
  }
  for (media::EndpointId ep : due) {
    auto it = sessions_.find(ep);
    if (it == sessions_.end()) continue;
    Session& s = it->second;
    s.deadline.reset();
    if (s.phase == Phase::kRecording) {
      finish(s, "max-length");
    } else if (s.phase == Phase::kGoodbye) {
      ports_.hang_up(s.call);
    }
  }
}

}  // namespace hotline::app
