// One call's walk through an IVR flow. start() and on_event() return the Commands
// the switch must carry out (io.hpp); every step is recorded as a TraceEntry for the
// call's log. The session holds its Flow snapshot for its whole life, so a reload
// (flow_registry.hpp) never changes a call in progress.
//
// Invariants (exercised by the property test):
//   1. After start() and after every on_event(), the session is either finished
//      (a terminal command was issued, or the caller hung up) or waiting for
//      something that will produce an event: a prompt, a timer or an HTTP reply.
//   2. At most one prompt, one timer and one HTTP request are outstanding at a time;
//      events for anything else are stale and ignored.
//   3. At most Flow::max_steps node entries per call; past that, Hangup
//      ("ivr-max-steps").
//
// Thread-safety: none. One owner (the call's control loop) drives it.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cc/ivr/calendar.hpp"
#include "cc/ivr/flow.hpp"
#include "cc/ivr/io.hpp"
#include "common/clock.hpp"

namespace hotline::cc::ivr {

struct CallContext {
  std::string call_id;
  std::string caller;  // caller number, E.164 when known
  std::string did;     // the number dialled
  std::string source;  // tracking label of the DID, e.g. "google-ads"
};

// Bounds (DESIGN.md principle 5).
struct SessionLimits {
  std::size_t max_variables = 64;
  std::size_t max_value_length = 512;
  std::size_t max_http_body = 64 * 1024;
  std::size_t max_typeahead = 16;  // keys kept from a barge-in play for the next menu
  std::size_t max_trace = 4096;    // entries kept until take_trace()
};

class Session {
 public:
  // `flow` must be non-null; `clock` and `zones` must outlive the session.
  Session(std::shared_ptr<const Flow> flow, CallContext call, const Clock& clock,
          const ZoneResolver& zones, SessionLimits limits = {});

  // Enters the start node. Call once.
  std::vector<Command> start();
  std::vector<Command> on_event(const Event& event);

  bool finished() const { return finished_; }
  // A prompt, timer or HTTP request is outstanding.
  bool waiting() const { return prompt_ != 0 || timer_ != 0 || http_ != 0; }
  // "queue", "caller-hangup", "ivr-max-steps", … once finished.
  const std::string& end_reason() const { return end_reason_; }

  const std::shared_ptr<const Flow>& flow() const { return flow_; }
  // The node the call is in (the last one entered); empty before start().
  std::string_view current_node() const;
  std::optional<std::string_view> variable(std::string_view name) const;
  const std::map<std::string, std::string, std::less<>>& variables() const { return vars_; }
  std::uint32_t steps() const { return steps_; }

  // The trace since the last call; entries beyond SessionLimits::max_trace are
  // dropped (counted in dropped_trace()).
  std::vector<TraceEntry> take_trace();
  std::size_t dropped_trace() const { return dropped_trace_; }

 private:
  enum class Phase : std::uint8_t {
    kIdle,
    kPrompt,          // the node's main prompt
    kInvalidPrompt,   // after a wrong key / too few digits
    kTimeoutPrompt,   // after no key
    kWaitDigits,      // timer running for keys
    kHttp,            // waiting for a reply
    kConfirmPrompt,   // callback: "we will call you on …, press 1"
    kConfirmInvalid,  // callback: wrong key at the confirmation
    kConfirmWait,     // callback: timer for the confirmation key
    kDonePrompt,      // callback: goodbye, then Hangup
  };

  // Digit rules of the node being collected into (collect or callback entry).
  struct DigitRules {
    std::uint32_t min = 1;
    std::uint32_t max = 1;
    char terminator = '\0';
    Duration first{0};
    Duration inter{0};
  };

  void emit(Command command);
  void trace(TraceEntry::Kind kind, std::string detail);
  void play(const Prompt& prompt, bool barge_in);
  void stop_prompt();
  void start_timer(Duration after);
  void cancel_timer();
  void go(NodeIndex next, std::string_view why);
  void run();
  void enter(NodeIndex index);
  void finish(Command terminal, std::string reason);
  void set_var(const std::string& name, std::string value);
  std::string render(std::string_view tmpl, bool percent_encode = false) const;
  bool moved() const { return finished_ || pending_ != kNoNode; }

  void on_digit(char digit);
  void on_prompt_finished(const PromptFinished& e);
  void on_timer();
  void on_http(const HttpResponse* response, std::string_view failure);

  void menu_key(const MenuNode& menu, char key);
  void menu_retry(const MenuNode& menu, bool invalid);
  DigitRules rules() const;
  void collect_key(char key);
  void collect_done();
  void collect_retry();
  void callback_confirm_key(const CallbackNode& cb, char key);
  void callback_retry(const CallbackNode& cb, bool confirming);

  std::shared_ptr<const Flow> flow_;
  const Clock& clock_;
  const ZoneResolver& zones_;
  SessionLimits limits_;
  std::string call_id_;

  std::map<std::string, std::string, std::less<>> vars_;
  NodeIndex node_ = kNoNode;
  NodeIndex pending_ = kNoNode;
  Phase phase_ = Phase::kIdle;
  std::uint32_t attempts_ = 0;
  std::string digits_;
  std::string typeahead_;
  std::string callback_number_;

  PromptId prompt_ = 0;
  IvrTimerId timer_ = 0;
  RequestId http_ = 0;
  std::uint64_t next_id_ = 0;  // shared by prompts, timers and requests

  std::uint32_t steps_ = 0;
  bool started_ = false;
  bool finished_ = false;
  std::string end_reason_;

  std::vector<Command>* out_ = nullptr;  // the batch being built by start()/on_event()
  std::vector<TraceEntry> trace_;
  std::size_t dropped_trace_ = 0;
};

}  // namespace hotline::cc::ivr
