// The media engine: RTP endpoints on real UDP sockets, run by a few media threads, each
// owning its sockets and the calls placed on it. The control loop (which knows SIP)
// drives it through this thread-safe command interface with SDP text and ids, and gets
// events back through a callback it supplies. See docs/media.md ("Media engine").
//
// Threading:
//  1. Every public member may be called from any thread. create_*/apply_answer/
//     answer_reoffer do their socket binding and SDP work in the calling thread and return
//     the result; every other command is queued to the endpoint's media thread and applied
//     there in call order (commands on one endpoint never overtake each other).
//  2. An endpoint lives on one media thread for life. Endpoints that are bridged or mixed
//     together must share a thread: create the second leg with `colocate_with` = the first.
//  3. The EventCallback runs on a media thread (or the engine's recording worker); it must
//     be cheap and thread-safe — typically it posts the event to the control loop.
//  4. Disk I/O never happens on a media thread: recorders are opened and finalised on the
//     engine's recording worker; audio sources are loaded by the caller (on a worker).
//
// Invariants: a port pair is held from create_* until destroy() (or engine shutdown) and
// then returned to the pool; after destroy() no event names the id except its final kStats.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "media/audio_source.hpp"
#include "media/codec.hpp"
#include "media/dtmf.hpp"
#include "media/recorder.hpp"
#include "media/sdp_negotiation.hpp"

namespace hotline::media {

// High 16 bits: media thread index + 1; low 48 bits: a sequence number. Never 0.
using EndpointId = std::uint64_t;

struct EngineConfig {
  std::string bind_address = "0.0.0.0";   // where sockets listen
  std::string sdp_address = "127.0.0.1";  // the c= address we advertise
  std::uint16_t port_min = 20000;
  std::uint16_t port_max = 29999;
  int threads = 0;               // media threads; 0 = one per core
  int rtp_timeout_ms = 30'000;   // no RTP for this long on a receiving stream -> event
  int relatch_after_ms = 1'000;  // silence after which another source may take over
  int rtcp_interval_ms = 5'000;  // mean interval between our SR/RR (randomised ±50%)
  int mix_rate = 8000;           // rate of mixing, recording and played sources
  int poll_interval_us = 0;      // >0: coalesce wake-ups of a busy thread (see docs/media.md)
  std::vector<CodecId> codecs = {CodecId::kPcmu, CodecId::kPcma, CodecId::kG722,
                                 CodecId::kOpus};  // our preference order
  // Wideband Opus; complexity 3 costs a fraction of 10 for a small loss of quality, which
  // is what makes transcoding hundreds of calls per core possible.
  CodecOptions codec_options{
      .opus_sample_rate = 16000, .opus_bitrate = 24000, .opus_complexity = 3};
  std::string cname = "hotline";
};

struct EndpointOptions {
  std::optional<EndpointId> colocate_with;  // place on this endpoint's media thread
  std::vector<CodecId> codecs;              // empty: EngineConfig::codecs
  bool telephone_event = true;
  bool detect_inband_dtmf = false;  // decode and listen for key tones
  Direction direction = Direction::kSendRecv;
  std::optional<std::string> srtp_inline_key;  // SDES key (see srtp.hpp); SAVP when set
};

struct CreatedEndpoint {
  EndpointId id = 0;
  std::string sdp;                       // our offer or answer, ready for the SIP body
  std::uint16_t port = 0;                // local RTP port (RTCP on port + 1 unless rtcp-mux)
  std::optional<NegotiatedMedia> media;  // set when an offer was answered
};

// Per-leg figures for the call record; kept across SSRC changes.
struct StreamStats {
  std::uint64_t packets_received = 0;
  std::uint64_t packets_sent = 0;
  std::uint64_t octets_received = 0;
  std::uint64_t octets_sent = 0;
  std::int64_t packets_lost = 0;  // RFC 3550 cumulative loss summed over every source
  double jitter_ms = 0.0;         // current interarrival jitter of what we receive
  double max_jitter_ms = 0.0;
  std::uint32_t ssrc_changes = 0;
  std::uint64_t rejected_packets = 0;  // wrong source, malformed, SRTP failures
  std::uint32_t relatches = 0;
  // What the peer says of our stream in its RTCP receiver reports.
  double remote_fraction_lost = 0.0;
  double remote_jitter_ms = 0.0;
  std::optional<double> rtt_ms;
  std::string remote;  // ip:port we send to (latched or signalled)
};

enum class MonitorMode { kListen, kWhisper, kBarge };

struct MediaEvent {
  enum class Kind {
    kDtmf,              // `digit`: a key, reported once with its duration
    kRtpTimeout,        // no RTP for rtp_timeout_ms on a stream expected to receive
    kRtpResumed,        // media came back after a kRtpTimeout
    kPlaybackFinished,  // the playlist ran dry (or was cut by a barge-in key)
    kRecordingStopped,  // the file is final; `recording` has its figures
    kRecordingFailed,   // the recorder could not be opened; `error` says why
    kStats,             // answer to query_stats(), and the final one after destroy()
    kSilence,           // detect_silence(): the leg's audio stayed quiet that long
  };
  Kind kind = Kind::kStats;
  EndpointId endpoint = 0;
  DtmfDigit digit;
  StreamStats stats;
  RecorderStats recording;
  std::string error;
  bool final = false;  // kStats after destroy(): the last event for this id
};
using EventCallback = std::function<void(const MediaEvent&)>;

class MediaEngine {
 public:
  // Binds nothing yet; starts the media threads and the recording worker.
  static Result<std::unique_ptr<MediaEngine>> start(const EngineConfig& config,
                                                    EventCallback on_event);
  ~MediaEngine();  // stops the threads, closes every socket, finalises recordings
  MediaEngine(const MediaEngine&) = delete;
  MediaEngine& operator=(const MediaEngine&) = delete;

  // We make the offer (outbound leg): returns the offer SDP; media starts once
  // apply_answer() gives the peer's answer.
  Result<CreatedEndpoint> create_offer(const EndpointOptions& options = {});
  // kInvalidArgument / kFailedPrecondition are SDP failures: answer 488 (see sdp_negotiation).
  Status apply_answer(EndpointId id, std::string_view answer_sdp);
  // The peer offered (inbound leg): returns our answer SDP and the negotiated media.
  // kResourceExhausted when the port range is full.
  Result<CreatedEndpoint> create_answer(std::string_view offer_sdp,
                                        const EndpointOptions& options = {});
  // A new offer on an existing endpoint (re-INVITE: hold, resume, new address): returns
  // the answer; the source latch restarts from the new address.
  Result<std::string> answer_reoffer(EndpointId id, std::string_view offer_sdp);

  // Connects two legs: each hears the other. Same codec -> pass-through (headers rewritten
  // to our SSRC/sequence/timestamp line), else decode -> resample -> encode. RFC 4733
  // events are relayed. `caller` and `agent` name the recording channels (left, right).
  Status bridge(EndpointId caller, EndpointId agent);
  Status unbridge(EndpointId either);

  // Queues a source (at mix_rate) to play to the leg; while the playlist runs it replaces
  // what the bridge would relay. `barge_in`: a key stops this item and all after it.
  Status play(EndpointId id, std::unique_ptr<AudioSource> source, bool barge_in = true);
  Status stop_playback(EndpointId id);

  // Records the bridge `caller` is in (caller left, peer right; or mixed mono) — or just
  // the leg when unbridged. The file is opened on the recording worker (options.sample_rate
  // is forced to mix_rate). kRecordingFailed / kRecordingStopped come back as events.
  Status start_recording(EndpointId caller, RecorderOptions options);
  Status pause_recording(EndpointId caller);
  Status resume_recording(EndpointId caller);
  Status stop_recording(EndpointId caller);

  // Reports kSilence once what the leg receives (no RTP counts as quiet) has stayed
  // below `level` (RMS of 16-bit samples, per 20 ms frame) for `silence_ms`, counted
  // from this call; sound re-arms it. 0 turns detection off. Voicemail ends a message
  // on it.
  Status detect_silence(EndpointId id, int silence_ms, int level = 300);

  // Supervisor modes over a bridged caller/agent pair (all three on one thread). Calling
  // again switches mode; stop_monitor() returns the supervisor to silence.
  Status monitor(EndpointId supervisor, EndpointId caller, EndpointId agent, MonitorMode mode);
  Status stop_monitor(EndpointId supervisor);

  Status query_stats(EndpointId id);  // answered by a kStats event
  // Closes the sockets, returns the ports; a final kStats event follows.
  Status destroy(EndpointId id);

  int threads() const;
  int mix_rate() const;
  std::size_t ports_in_use() const;
  std::size_t endpoints() const;  // endpoints alive (created, not destroyed)

  struct Impl;

 private:
  explicit MediaEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hotline::media
