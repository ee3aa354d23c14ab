// The IVR interpreter's interface to the switch: Commands it asks the switch to
// carry out, Events the switch feeds back, and TraceEntries for the call's log.
// Everything that touches the outside world (media, DTMF, HTTP, timers, routing) is
// a command out and an event back, so a Session is tested with no sockets at all.
//
// Ids (PromptId, TimerId, RequestId) are unique within one Session; an event whose
// id is not the one the session waits for is stale and ignored (traced), so a late
// prompt-finished or HTTP reply can never move a call on twice.
//
// Thread-safety: plain value types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/clock.hpp"

namespace hotline::cc::ivr {

using PromptId = std::uint64_t;
using IvrTimerId = std::uint64_t;
using RequestId = std::uint64_t;

// --- commands ---------------------------------------------------------------

// Play a file or synthesized text; answer with PromptFinished{id} when it ends or is
// stopped. `barge_in`: the switch may keep listening for digits while it plays
// (digits are always delivered; the session decides).
struct PlayFile {
  PromptId id = 0;
  std::string file;
  bool barge_in = false;
};
struct PlayTts {
  PromptId id = 0;
  std::string text;  // variables already filled in
  std::string voice;
  std::string language;
  bool barge_in = false;
};
// Stop a prompt early (barge-in). No PromptFinished is needed afterwards.
struct StopPrompt {
  PromptId id = 0;
};
// The session expects digits now (menu or collection); a hint for the media layer
// to arm DTMF detection. Digits come back one by one as DigitReceived, or all at
// once as DigitsCollected for a switch that collects itself.
struct CollectDigits {
  std::uint32_t min_digits = 1;
  std::uint32_t max_digits = 1;
  char terminator = '\0';  // '\0' = none
};
// Fire TimerFired{id} at `deadline` (monotonic), unless cancelled first.
struct StartTimer {
  IvrTimerId id = 0;
  MonoTime deadline;
};
struct CancelTimer {
  IvrTimerId id = 0;
};
// GET `url`; answer with HttpResponse{id} or HttpFailed{id}. The session also times
// out on its own after `timeout` (then sends CancelHttp).
struct HttpGet {
  RequestId id = 0;
  std::string url;
  Duration timeout{0};
};
struct CancelHttp {
  RequestId id = 0;
};
// Record a callback request (the call continues with a goodbye, then Hangup).
struct RequestCallback {
  std::string number;
  std::string queue;
};

// Terminal commands: the call leaves the IVR; the session is finished afterwards.
struct RouteToQueue {
  std::string queue;
  int priority = 0;
  std::vector<std::pair<std::string, int>> skills;  // skill -> minimum level
};
struct RouteToExtension {
  std::string extension;
};
struct TransferToNumber {
  std::string number;
};
struct RouteToVoicemail {
  std::string box;
};
struct Hangup {
  std::string cause;  // "normal", "callback", "ivr-max-steps", or a node's cause
};

using Command = std::variant<PlayFile, PlayTts, StopPrompt, CollectDigits, StartTimer, CancelTimer,
                             HttpGet, CancelHttp, RequestCallback, RouteToQueue, RouteToExtension,
                             TransferToNumber, RouteToVoicemail, Hangup>;

bool is_terminal(const Command& command);
// One line for logs: "play tts 'Welcome' (prompt 1)".
std::string describe(const Command& command);

// --- events -----------------------------------------------------------------

struct DigitReceived {
  char digit = '0';  // '0'-'9', '*', '#', 'A'-'D'
};
// A whole collection done by the switch (alternative to digit-by-digit).
struct DigitsCollected {
  std::string digits;  // without the terminator
};
struct PromptFinished {
  PromptId id = 0;
  bool failed = false;  // could not be played (missing file, synthesis failed)
};
struct TimerFired {
  IvrTimerId id = 0;
};
struct HttpResponse {
  RequestId id = 0;
  int status = 0;
  std::string body;
};
struct HttpFailed {
  RequestId id = 0;
  std::string reason;  // "connection refused", "timeout", …
};
struct CallerHungUp {};

using Event = std::variant<DigitReceived, DigitsCollected, PromptFinished, TimerFired, HttpResponse,
                           HttpFailed, CallerHungUp>;

std::string describe(const Event& event);

// --- trace ------------------------------------------------------------------

// One step of a session, for the switch to log with the call id and write to the
// event log ("ivr.node_entered", …).
struct TraceEntry {
  enum class Kind : std::uint8_t {
    kNodeEntered,  // detail: node type
    kCommand,      // detail: describe(command)
    kEvent,        // detail: describe(event)
    kIgnored,      // an event that changed nothing (stale id, key not expected); detail: why
    kVariable,     // detail: "name=value"
    kDecision,     // detail: why a branch went where it went
    kEnded,        // detail: how the session ended
  };
  Timestamp at;
  Kind kind = Kind::kNodeEntered;
  std::string node;
  std::string detail;
};

std::string_view to_string(TraceEntry::Kind kind);

}  // namespace hotline::cc::ivr
