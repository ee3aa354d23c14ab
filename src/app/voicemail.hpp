// Voicemail in `hotline serve`: a call the dial plan or an IVR sends to a box hears
// the box's greeting and a beep, then the caller's leg is recorded (mono WAV, one
// file per message) until '#', silence, the maximum length or hang-up; the message
// is stored (store::VoicemailRepository) with its caller, time and duration, a
// `voicemail.message` event goes out, and the caller hears a goodbye before
// hotline hangs up. A caller hanging up while recording still leaves the message
// when it is at least `min_length` long.
//
// VoicemailStore: the repository behind a mutex on a connection of its own, used by
// the worker pool (new messages) and the API (list, download, delete).
//
// Thread-safety: VoicemailService lives on the control loop (media events are
// posted to it there); VoicemailStore is thread-safe.
#pragma once

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "app/voicemail_config.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/worker_pool.hpp"
#include "media/media_engine.hpp"
#include "media/speech.hpp"
#include "store/database.hpp"
#include "store/voicemail_repository.hpp"

namespace hotline::app {

class VoicemailStore {
 public:
  // REQUIRES: `db` is migrated.
  explicit VoicemailStore(std::unique_ptr<store::Database> db) : db_(std::move(db)), repo_(*db_) {}

  Result<std::int64_t> add(const store::VoicemailMessage& m);
  Result<std::vector<store::VoicemailMessage>> list(const store::VoicemailQuery& q);
  Result<store::VoicemailMessage> get(std::string_view tenant, std::int64_t id);
  Status mark_heard(std::string_view tenant, std::int64_t id);
  Status remove(std::string_view tenant, std::int64_t id);

 private:
  std::mutex mu_;
  std::unique_ptr<store::Database> db_;  // guarded by mu_
  store::VoicemailRepository repo_;      // guarded by mu_
};

// What the service needs from the calls around it.
struct VoicemailPorts {
  std::function<void(std::uint64_t call)> hang_up;  // the message is done: end the call
  std::function<void(std::string_view type, std::uint64_t call, nlohmann::json payload)> emit;
  std::function<void()> rearm;  // after work done outside a SIP callback (timers)
};

class VoicemailService {
 public:
  using CallId = std::uint64_t;

  // REQUIRES: every reference outlives the service; `store` may be null (messages
  // are then recorded but not listed).
  VoicemailService(boost::asio::io_context& loop, const Clock& clock, media::MediaEngine& media,
                   WorkerPool& workers, std::shared_ptr<media::SpeechCache> speech,
                   std::string voice, VoicemailConfig config, std::string tenant,
                   std::filesystem::path directory, VoicemailStore* store, VoicemailPorts ports);
  ~VoicemailService();
  VoicemailService(const VoicemailService&) = delete;
  VoicemailService& operator=(const VoicemailService&) = delete;

  // Takes a call (answered, its caller leg `endpoint`) into box `box`. False when it
  // cannot (the call then ends).
  bool start(CallId call, media::EndpointId endpoint, const std::string& box,
             const std::string& caller);
  // Media events for any endpoint; true when it was one of ours (consumed).
  bool on_media_event(const media::MediaEvent& event);
  // The call ended (either side): stop recording; the message is kept if long enough.
  void call_ended(CallId call);
  std::optional<MonoTime> next_deadline() const;
  void on_timer(MonoTime now);
  bool handles(CallId call) const { return by_call_.contains(call); }

 private:
  enum class Phase { kGreeting, kRecording, kStopping, kGoodbye };
  struct Session {
    CallId call = 0;
    media::EndpointId endpoint = 0;
    std::string box, caller, path, end_reason;
    Timestamp started{};
    Phase phase = Phase::kGreeting;
    std::optional<MonoTime> deadline;  // max length, or the goodbye's end at the latest
    bool caller_gone = false;
    bool greeting_loaded = false;
  };

  void start_recording(Session& s);
  void finish(Session& s, std::string reason);
  void recording_done(Session& s, const media::MediaEvent& event);
  void goodbye(Session& s);
  void forget(media::EndpointId endpoint);
  Duration max_length(const std::string& box) const;
  const VoicemailPrompt& greeting(const std::string& box) const;

  boost::asio::io_context& loop_;
  const Clock& clock_;
  media::MediaEngine& media_;
  WorkerPool& workers_;
  std::shared_ptr<media::SpeechCache> speech_;
  std::string voice_;
  VoicemailConfig config_;
  std::string tenant_;
  std::filesystem::path directory_;
  VoicemailStore* store_;
  VoicemailPorts ports_;
  std::unordered_map<media::EndpointId, Session> sessions_;
  std::unordered_map<CallId, media::EndpointId> by_call_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace hotline::app
