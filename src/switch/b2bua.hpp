// The back-to-back user agent: every call is an inbound leg (the caller's dialog)
// and one outbound leg per device it rings, joined by a media bridge. The B2BUA is
// the DialogUser of hotline's dialog layer: it authenticates and identifies the
// caller (extension or trunk), asks the dial plan where the call goes, rings the
// target's registered contacts (all at once; the first to answer wins), relays
// ringing, answers the caller with hotline's own SDP (media is anchored: both legs
// end on the media engine, so recording, monitoring and transfers need no
// re-INVITE of the phones) and tears both legs down when either side hangs up,
// cancels, or the media times out.
//
// Calls to an IVR flow are answered by hotline, which then runs a cc::ivr::Session:
// its commands become prompts (through a port, since loading a file or
// synthesising speech must not block the loop), digit collection (DTMF events from
// the media engine), timers and HTTP lookups (ports), and its terminal command
// routes the call on (to an extension; voicemail through a port). Queue targets
// (dial plan or IVR) are answered and handed to the QueueSink (the ContactCenter,
// which runs the ACD), or to B2buaPorts::enqueue when no sink is set; the sink
// then rings agents (ring_agent), plays music and announcements, and is told
// when an agent answers and when the call ends. Feature codes from extensions
// (*50 …) go to the sink too. Trunk targets are answered 501 until outbound
// trunks land.
//
// Thread-safety: none; the control loop owns it (DESIGN.md principle 3). Media
// events arrive through on_media_event(), which the owner calls on that loop.
//
// Invariants:
//  1. Every call is in calls_ from INVITE to its end event; every dialog and
//     INVITE transaction of its legs maps back to it, and nothing else does.
//  2. A call ends exactly once, with one `call.ended` event carrying its cause;
//     its media endpoints are destroyed then.
//  3. deadlines_ holds exactly one entry (time, call, timer) for each timer set
//     in a live call's `timers` (set_timer() keeps the two in step), so
//     next_deadline() is the set's first entry: O(1), O(log n) per change.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "cc/ivr/calendar.hpp"
#include "cc/ivr/io.hpp"
#include "cc/ivr/session.hpp"
#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "media/media_engine.hpp"
#include "sip/dialog_layer.hpp"
#include "switch/dialplan.hpp"
#include "switch/feature_codes.hpp"
#include "switch/trunks.hpp"

namespace hotline::sw {

using CallId = std::uint64_t;

// A registered device of an extension.
struct Contact {
  std::string uri;        // the Contact URI it registered (the Request-URI we send)
  sip::Peer destination;  // where to send (the address it registered from, for NAT)
};

// What the B2BUA needs from the rest of the server.
struct B2buaPorts {
  // The registered contacts of an extension; empty when none (or not an extension).
  std::function<std::vector<Contact>(std::string_view extension)> locate;
  // Is this INVITE from an authenticated extension? Returns the extension, or
  // nullopt after answering the request itself (401/407 challenge or 403).
  std::function<std::optional<std::string>(const sip::IncomingRequest&)> authenticate_extension;
  // Every call event (type, call id, payload) for the event log and live views.
  std::function<void(std::string_view type, CallId call, const nlohmann::json& payload)> emit;

  // ---- IVR (unset: IVR targets are answered 501)
  // The current snapshot of a flow by name; null when there is none.
  std::function<std::shared_ptr<const cc::ivr::Flow>(std::string_view name)> flow;
  // Plays a PlayFile or PlayTts command to the endpoint. Loading and synthesis
  // happen off the loop; the port ends by media.play() (the engine's
  // kPlaybackFinished then finishes the prompt) or, on failure, by
  // on_ivr_event(call, PromptFinished{id, true}).
  std::function<void(CallId, media::EndpointId, const cc::ivr::Command&)> play;
  // Starts an HTTP lookup; the answer comes back through on_ivr_event().
  std::function<void(CallId, const cc::ivr::HttpGet&)> http_get;
  // Takes a call the IVR routes to a queue (the ACD) or voicemail; false: refused
  // (the call ends). The call stays the B2BUA's: the ACD later asks to ring an agent.
  std::function<bool(CallId, const cc::ivr::RouteToQueue&)> enqueue;
  std::function<bool(CallId, const cc::ivr::RouteToVoicemail&)> voicemail;
  // Time zones for business-hours nodes; must outlive the B2BUA.
  const cc::ivr::ZoneResolver* zones = nullptr;
};

// Call recording (docs/calls.md "Recording"): every call bridged to a device or
// an agent, in one WAV per bridge (caller left, callee right; or mixed mono).
enum class RecordingMode { kOff, kStereo, kMixed };
std::string_view to_string(RecordingMode mode);

struct RecordingPolicy {
  RecordingMode mode = RecordingMode::kOff;
  std::filesystem::path dir;  // must exist (the server makes <data_dir>/recordings)
  // Overrides, by the queue the call came through, else the extension that answered.
  std::map<std::string, RecordingMode, std::less<>> queues;
  std::map<std::string, RecordingMode, std::less<>> extensions;
  RecordingMode for_call(std::string_view queue, std::string_view extension) const;
};

struct B2buaConfig {
  std::string tenant = "default";
  std::string contact;                               // our Contact: "<sip:hotline@127.0.0.1:5060>"
  std::string domain = "127.0.0.1";                  // host part of the URIs we write
  Duration ring_timeout = std::chrono::seconds(30);  // unanswered → 480 to the caller
  Duration max_call_duration = std::chrono::hours(4);
  // A confirmed feature call hangs up when its prompt ends, or after this.
  Duration feature_hangup = std::chrono::seconds(5);
  RecordingPolicy recording;
  // What a party hears, in a loop, while the other holds the call (a PlayFile or
  // PlayTts through the play port).
  cc::ivr::Command music_on_hold = cc::ivr::PlayTts{0, "Please hold.", "", "", false};
  // The ringback tone a transferee hears while the transfer target rings.
  std::string tone_country = "us";
  // Where hotline_calls_refused_total{reason="unknown-source"} is counted; null:
  // not counted. Must outlive the B2BUA.
  MetricsRegistry* metrics = nullptr;
};

enum class EndCause {
  kCallerHangup,     // BYE from the caller
  kCalleeHangup,     // BYE from the callee
  kCallerCancelled,  // the caller gave up while it rang
  kRejected,         // by the dial plan, no route, or every device refused
  kNoAnswer,         // ring timeout
  kUnavailable,      // extension without registered devices
  kMediaTimeout,     // no RTP
  kMaxDuration,
  kIvrHangup,  // the IVR flow hung up (a goodbye node, max steps)
  kFailed,     // SDP or resource failure
  kShutdown,
  kQueueTimeout,  // waited the queue's maximum and its exit is not an extension
  kFeatureDone,   // a feature-code call (agent login, ...) confirmed and hung up
  kTransferred,   // an attended transfer moved its remaining party into another call
};
std::string_view to_string(EndCause cause);

// The answer to a feature-code call (*50, *51, ...).
struct FeatureReply {
  // 200: hotline answers, plays `prompt` (TTS, through the play port) and hangs
  // up when it ends (at the latest after B2buaConfig::feature_hangup). Anything
  // else is the final response to the INVITE, with `reason` as its phrase.
  int status = 200;
  std::string reason;
  std::string prompt;
};

// The ACD side of the B2BUA: the ContactCenter implements it. When set, it takes
// queue targets (dial plan and IVR) instead of B2buaPorts::enqueue, and feature
// codes dialled from extensions. Calls into the B2BUA from these callbacks are
// allowed (the B2BUA is in a consistent state whenever it calls them).
class QueueSink {
 public:
  virtual ~QueueSink() = default;
  // The caller is answered and waits; false refuses (the call ends, rejected).
  virtual bool enqueue(CallId call, const cc::ivr::RouteToQueue& route) = 0;
  // A device rung by B2bua::ring_agent(call, tag) answered; the call is bridged.
  virtual void agent_answered(CallId call, std::uint32_t tag) = 0;
  // A call that was enqueued ended (after it is gone from the B2BUA).
  // `connected`: it had been bridged to an agent.
  virtual void call_ended(CallId call, EndCause cause, bool connected) = 0;
  // A feature code dialled by an authenticated extension.
  virtual FeatureReply feature(std::string_view extension, const FeatureMatch& match) = 0;
};

class B2bua final : public sip::DialogUser {
 public:
  B2bua(const Clock& clock, media::MediaEngine& media, B2buaPorts ports, B2buaConfig config);
  B2bua(const B2bua&) = delete;
  B2bua& operator=(const B2bua&) = delete;

  // REQUIRES: called once before any message; `dialogs` outlives the B2BUA.
  void attach(sip::DialogLayer& dialogs) { dialogs_ = &dialogs; }
  void set_routing(DialPlan plan, TrunkTable trunks) {
    plan_ = std::move(plan);
    trunks_ = std::move(trunks);
  }

  // Timers (ring timeout, maximum duration): the owner arms one timer on
  // next_deadline() and calls on_timer() when it fires. next_deadline() is O(1)
  // (it runs after every SIP message); on_timer() O(log n) per due timer.
  std::optional<MonoTime> next_deadline() const;
  void on_timer(MonoTime now);
  // An event from the media engine, posted to the control loop.
  void on_media_event(const media::MediaEvent& event);
  // A prompt failure or HTTP answer for a call's IVR session (from the ports).
  void on_ivr_event(CallId call, const cc::ivr::Event& event);
  // Ends every call (BYE / CANCEL / 503), e.g. at shutdown.
  void hang_up_all();

  std::size_t active_calls() const { return calls_.size(); }
  // A call's media endpoints (hotline's side of each party; 0 when none), e.g.
  // for supervisor monitoring.
  struct CallMedia {
    media::EndpointId caller = 0;
    media::EndpointId callee = 0;
  };
  std::optional<CallMedia> media_of(CallId call) const;

  // ---- Recording (for the API) -----------------------------------------------
  // While paused the recording carries silence (it keeps the call's timeline).
  // kNotFound: no such call; kFailedPrecondition: it is not being recorded.
  Status pause_recording(CallId call);
  Status resume_recording(CallId call);

  // ---- Queues (for the ContactCenter; see QueueSink) -------------------------
  // REQUIRES: `sink` outlives the B2BUA, or is reset to null first.
  void set_queue_sink(QueueSink* sink) { sink_ = sink; }
  void set_feature_codes(FeatureCodes codes) { features_ = std::move(codes); }
  // Rings the registered devices of `extensions` for a waiting (enqueued) call,
  // alongside whatever already rings for it; `tag` names this offer (the agent).
  // The ring timeout is the caller's (the ACD runs it): a device refusing, or no
  // device at all, does not end anything. Error when the call is not waiting.
  Status ring_agent(CallId call, const std::vector<std::string>& extensions, std::uint32_t tag);
  // Stops ringing the devices of offer `tag` (CANCEL); a late answer gets a BYE.
  void cancel_ring(CallId call, std::uint32_t tag);
  // Music on hold for a waiting call: `music` (a PlayFile or PlayTts) goes to the
  // play port and starts again each time it ends, until an agent answers.
  void hold(CallId call, cc::ivr::Command music);
  // Plays `prompt` to a waiting caller instead of the music, which then resumes.
  void announce(CallId call, cc::ivr::Command prompt);
  // Takes a waiting call out of the queue and rings an extension (queue exit).
  void route_to_extension(CallId call, const std::string& extension);
  void end_call(CallId call, EndCause cause);
  // An event about a call (or 0) through B2buaPorts::emit.
  void emit_event(std::string_view type, CallId call, const nlohmann::json& payload);
  // Told of each caller-side media endpoint as it is made (for the server's
  // bookkeeping and for tests that stand in for the media engine's events).
  void set_endpoint_observer(std::function<void(CallId, media::EndpointId)> observer) {
    endpoint_observer_ = std::move(observer);
  }

  // sip::DialogUser
  void on_request(const sip::IncomingRequest& request) override;
  void on_response(const sip::ResponseEvent& response) override;
  void on_ack(sip::DialogId dialog, const sip::Message& ack) override;
  void on_cancelled(sip::TransactionId invite, std::optional<sip::DialogId> dialog) override;
  void on_glare_retry(sip::DialogId dialog, std::string_view method) override;
  void on_transport_error(sip::TransactionId txn, std::optional<sip::DialogId> dialog) override;
  void on_terminated(sip::DialogId dialog, sip::TerminationReason reason,
                     const sip::Message* cause) override;

 private:
  struct Fork {
    sip::TransactionId txn = 0;
    std::optional<sip::DialogId> dialog;
    std::string contact;
    bool finished = false;  // a final response came
    int status = 0;
    std::uint32_t tag = 0;  // ring_agent()'s offer, 0 otherwise
    std::string extension;  // the extension this device belongs to
  };
  // A REFER being carried out: the referrer's leg is set aside (kept until the
  // target answers, so a failed transfer can reconnect it) while the target rings.
  struct Transfer {
    std::optional<sip::DialogId> referrer;  // gone when the referrer hung up
    media::EndpointId referrer_media = 0;
    std::string referrer_number;
    std::string by;  // "caller" or "callee": the referrer's side before the transfer
    std::string target;
  };
  // A call's timers; the order is the precedence when several are due at once.
  enum class Timer : std::uint8_t { kHangup, kMax, kRing, kIvr };
  static constexpr std::size_t kTimers = 4;
  struct Call {
    CallId id = 0;
    sip::TransactionId inbound_txn = 0;     // the caller's INVITE
    std::optional<sip::DialogId> inbound;   // the caller's dialog once we answer
    std::vector<Fork> forks;                // outbound INVITEs
    std::optional<sip::DialogId> outbound;  // the answered fork's dialog
    media::EndpointId caller_media = 0;
    media::EndpointId callee_media = 0;
    std::string caller_answer_sdp;  // our answer to the caller's offer
    std::string caller, dialled, origin, target, source;
    bool ringing_sent = false;
    bool answered = false;   // the caller's leg is answered (by a device or the IVR)
    bool connected = false;  // bridged to a device
    MonoTime started{};
    MonoTime answered_at{};
    // Deadlines by Timer; change them only through set_timer(). kRing: while
    // devices ring; kMax: ends the call whatever it does; kIvr: the session's
    // timer (`ivr_timer` names it); kHangup: feature calls.
    std::array<std::optional<MonoTime>, kTimers> timers;
    // IVR: the session, its outstanding prompt and timer.
    std::unique_ptr<cc::ivr::Session> ivr;
    cc::ivr::PromptId prompt = 0;
    cc::ivr::IvrTimerId ivr_timer = 0;
    // Queue: waiting for (or talking to) an agent through the QueueSink.
    bool queued = false;
    std::optional<cc::ivr::Command> music;  // played in a loop while waiting
    bool feature = false;
    bool announcing = false;       // an announcement plays instead of the music
    std::string callee_offer_sdp;  // our offer to the devices we ring
    std::string callee_number;     // the extension whose device answered
    std::string queue;             // the queue the call went through, if any
    // Hold: a side that holds the call makes the other hear music on hold.
    bool caller_holds = false;
    bool callee_holds = false;
    // Recording: the endpoint carrying the recorder (0: none) and files so far.
    media::EndpointId recording = 0;
    int recordings = 0;
    std::optional<Transfer> transfer;
  };
  struct Recording {
    CallId call = 0;
    std::string path;
  };

  void on_new_invite(const sip::IncomingRequest& request);
  // An INVITE from an address no trunk allows, to a number only trunk-origin
  // dial-plan rules route (no rule open to extensions matches it, and it is no
  // feature code): nobody may place it, so it is refused without a challenge.
  // Depends only on the dialled number (the caller is not looked at).
  bool only_trunks_route(const sip::Message& invite) const;
  void on_reinvite(Call& call, const sip::IncomingRequest& request);
  void on_refer(Call& call, const sip::IncomingRequest& request);
  // INVITE with Replaces (RFC 3891) for a leg of `call`: the new party takes its place.
  void replace_leg(Call& call, sip::DialogId leg, const sip::IncomingRequest& request,
                   const std::string& extension);
  void blind_transfer(Call& call, const sip::IncomingRequest& request, const std::string& number);
  void attended_transfer(Call& call, Call& other, sip::DialogId other_leg,
                         const sip::IncomingRequest& request);
  void transfer_succeeded(Call& call);
  void transfer_failed(Call& call, EndCause cause, int status);
  // Ringing devices came to nothing: a transfer fails, any other call ends.
  void ring_failed(Call& call, EndCause cause, int status);
  // Sends a NOTIFY with a sipfrag of the REFER's progress (RFC 3515).
  void notify_refer(sip::DialogId dialog, int status, bool final);
  // Makes `leg` the callee side of the call (the two sides swap when it is the caller's).
  void make_callee_side(Call& call, sip::DialogId leg);
  // The media endpoint to colocate a new leg of `extension` with (a call it is in).
  std::optional<media::EndpointId> colocation_for(std::string_view extension) const;
  void index_extension(const Call& call, const std::string& extension);
  // After a bridge is made: stops what played, starts recording when configured.
  void on_bridged(Call& call);
  void start_music(Call& call, media::EndpointId ep);
  void maybe_record(Call& call);
  void on_recording_event(const media::MediaEvent& event);
  void route_call(Call& call, const sip::IncomingRequest& request, const Route& route);
  void ring_extension(Call& call, const std::string& extension, const std::string& caller_name);
  // Sends one INVITE per contact (the callee endpoint is made on first use);
  // returns how many went out.
  std::size_t ring_contacts(Call& call, const std::vector<Contact>& contacts,
                            const std::string& to_user, const std::string& caller_name,
                            std::uint32_t tag);
  bool enqueue_call(Call& call, const cc::ivr::RouteToQueue& route);
  void start_feature(Call& call, const sip::IncomingRequest& request, const std::string& extension,
                     const FeatureMatch& match);
  void play_to_caller(Call& call, const cc::ivr::Command& prompt);
  void drop_callee_media(Call& call);
  void on_fork_response(Call& call, Fork& fork, const sip::ResponseEvent& response);
  // Answers the caller's INVITE with our SDP; false (and the call ended) on failure.
  bool answer_caller(Call& call);
  // 183 Session Progress with our SDP: prompts play before the answer.
  bool early_media(Call& call);
  void start_ivr(Call& call, const std::string& flow_name);
  // Feeds the session and carries out what it asks; may end the call.
  void ivr_event(Call& call, const cc::ivr::Event& event);
  void run_ivr(Call& call, std::vector<cc::ivr::Command> commands);
  // Ends the call: answers/cancels/BYEs whatever is still up, frees media, emits.
  void end(Call& call, EndCause cause, int caller_status = 0);
  void respond(sip::TransactionId txn, int status, std::string_view reason);
  Call* by_dialog(sip::DialogId dialog);
  Call* by_txn(sip::TransactionId txn, Fork** fork = nullptr);
  void emit(const Call& call, std::string_view type, nlohmann::json payload);
  // Sets (or clears, with nullopt) one of a call's timers, keeping deadlines_ in step.
  void set_timer(Call& call, Timer timer, std::optional<MonoTime> at);
  std::optional<MonoTime> timer(const Call& call, Timer t) const {
    return call.timers[static_cast<std::size_t>(t)];
  }

  const Clock& clock_;
  media::MediaEngine& media_;
  B2buaPorts ports_;
  B2buaConfig config_;
  sip::DialogLayer* dialogs_ = nullptr;
  DialPlan plan_;
  TrunkTable trunks_;
  CallId next_call_ = 1;
  std::map<CallId, Call> calls_;
  std::set<std::tuple<MonoTime, CallId, Timer>> deadlines_;
  std::unordered_map<sip::DialogId, CallId> by_dialog_;
  std::unordered_map<sip::TransactionId, CallId> by_txn_;
  std::unordered_map<media::EndpointId, CallId> by_endpoint_;
  std::unordered_multimap<std::string, CallId> by_extension_;    // calls an extension is in
  std::unordered_map<media::EndpointId, Recording> recordings_;  // until kRecordingStopped
  cc::ivr::FixedOffsetZones utc_;                                // when no ZoneResolver is given
  std::function<void(CallId, media::EndpointId)> endpoint_observer_;
  QueueSink* sink_ = nullptr;
  FeatureCodes features_;
  cc::ivr::PromptId next_prompt_ = 1'000'000'000;  // queue prompts; apart from IVR ids
  Counter* refused_unknown_source_ = nullptr;      // from config_.metrics, when set
};

}  // namespace hotline::sw
