#include "cc/ivr/session.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cc/ivr/text_template.hpp"

namespace hotline::cc::ivr {

namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};

bool is_key(char c) {
  return (c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D');
}

// A JSON scalar as text; nullopt for null, objects and arrays.
std::optional<std::string> scalar_text(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number() || j.is_boolean()) return j.dump();
  return std::nullopt;
}

}  // namespace

Session::Session(std::shared_ptr<const Flow> flow, CallContext call, const Clock& clock,
                 const ZoneResolver& zones, SessionLimits limits)
    : flow_(std::move(flow)),
      clock_(clock),
      zones_(zones),
      limits_(limits),
      call_id_(call.call_id) {
  vars_["caller"] = std::move(call.caller);
  vars_["did"] = std::move(call.did);
  vars_["source"] = std::move(call.source);
  vars_["call_id"] = std::move(call.call_id);
}

std::string_view Session::current_node() const {
  return node_ == kNoNode ? std::string_view() : std::string_view(flow_->nodes[node_].name);
}

std::optional<std::string_view> Session::variable(std::string_view name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::vector<TraceEntry> Session::take_trace() {
  std::vector<TraceEntry> out;
  out.swap(trace_);
  return out;
}

// --- plumbing -----------------------------------------------------------------

void Session::trace(TraceEntry::Kind kind, std::string detail) {
  if (trace_.size() >= limits_.max_trace) {
    ++dropped_trace_;
    return;
  }
  trace_.push_back(TraceEntry{clock_.now(), kind, std::string(current_node()), std::move(detail)});
}

void Session::emit(Command command) {
  trace(TraceEntry::Kind::kCommand, describe(command));
  out_->push_back(std::move(command));
}

std::string Session::render(std::string_view tmpl, bool percent_encode) const {
  return render_template(
      tmpl,
      [this](std::string_view name) -> std::string_view {
        auto it = vars_.find(name);
        return it == vars_.end() ? std::string_view() : std::string_view(it->second);
      },
      percent_encode);
}

void Session::set_var(const std::string& name, std::string value) {
  if (!vars_.contains(name) && vars_.size() >= limits_.max_variables) {
    trace(TraceEntry::Kind::kIgnored,
          fmt::format("variable '{}' not set: too many variables", name));
    return;
  }
  if (value.size() > limits_.max_value_length) value.resize(limits_.max_value_length);
  trace(TraceEntry::Kind::kVariable, fmt::format("{}={}", name, value));
  vars_[name] = std::move(value);
}

void Session::play(const Prompt& prompt, bool barge_in) {
  stop_prompt();
  prompt_ = ++next_id_;
  if (!prompt.file.empty()) {
    emit(PlayFile{prompt_, prompt.file, barge_in});
  } else {
    emit(PlayTts{prompt_, render(prompt.tts), prompt.voice, prompt.language, barge_in});
  }
}

void Session::stop_prompt() {
  if (prompt_ == 0) return;
  emit(StopPrompt{prompt_});
  prompt_ = 0;
}

void Session::start_timer(Duration after) {
  cancel_timer();
  timer_ = ++next_id_;
  emit(StartTimer{timer_, clock_.mono() + after});
}

void Session::cancel_timer() {
  if (timer_ == 0) return;
  emit(CancelTimer{timer_});
  timer_ = 0;
}

void Session::go(NodeIndex next, std::string_view why) {
  stop_prompt();
  cancel_timer();
  if (http_ != 0) {
    emit(CancelHttp{http_});
    http_ = 0;
  }
  trace(TraceEntry::Kind::kDecision,
        fmt::format("{} -> {}", why, next == kNoNode ? "?" : flow_->nodes[next].name));
  pending_ = next;
}

void Session::finish(Command terminal, std::string reason) {
  stop_prompt();
  cancel_timer();
  if (http_ != 0) {
    emit(CancelHttp{http_});
    http_ = 0;
  }
  emit(std::move(terminal));
  finished_ = true;
  pending_ = kNoNode;
  phase_ = Phase::kIdle;
  trace(TraceEntry::Kind::kEnded, reason);
  end_reason_ = std::move(reason);
}

void Session::run() {
  while (pending_ != kNoNode && !finished_) {
    const NodeIndex next = pending_;
    pending_ = kNoNode;
    if (++steps_ > flow_->max_steps) {
      finish(Hangup{"ivr-max-steps"}, "ivr-max-steps");
      return;
    }
    enter(next);
  }
}

std::vector<Command> Session::start() {
  std::vector<Command> out;
  if (started_) return out;
  started_ = true;
  out_ = &out;
  trace(TraceEntry::Kind::kDecision, fmt::format("start flow '{}' for call '{}' from '{}'",
                                                 flow_->name, call_id_, vars_["caller"]));
  pending_ = flow_->start;
  run();
  out_ = nullptr;
  return out;
}

// --- entering nodes -------------------------------------------------------------

void Session::enter(NodeIndex index) {
  node_ = index;
  phase_ = Phase::kIdle;
  attempts_ = 0;
  digits_.clear();
  const Node& node = flow_->nodes[index];
  trace(TraceEntry::Kind::kNodeEntered, std::string(node_type_name(node.body)));
  std::visit(Overloaded{
                 [&](const PlayNode& n) {
                   play(n.prompt, n.barge_in);
                   phase_ = Phase::kPrompt;
                 },
                 [&](const MenuNode& n) {
                   emit(CollectDigits{1, 1, '\0'});
                   if (!typeahead_.empty()) {
                     const char key = typeahead_.front();
                     typeahead_.erase(0, 1);
                     menu_key(n, key);
                     return;
                   }
                   play(n.prompt, true);
                   phase_ = Phase::kPrompt;
                 },
                 [&](const CollectNode& n) {
                   emit(CollectDigits{n.min_digits, n.max_digits, n.terminator});
                   phase_ = Phase::kWaitDigits;
                   while (!typeahead_.empty() && !moved() && phase_ == Phase::kWaitDigits) {
                     const char key = typeahead_.front();
                     typeahead_.erase(0, 1);
                     collect_key(key);
                   }
                   if (moved() || !digits_.empty() || phase_ != Phase::kWaitDigits) return;
                   if (!n.prompt.empty()) {
                     play(n.prompt, true);
                     phase_ = Phase::kPrompt;
                   } else {
                     start_timer(n.first_digit_timeout);
                   }
                 },
                 [&](const HoursNode& n) {
                   const HoursState state = evaluate_hours(n, clock_.now(), zones_);
                   const NodeIndex target = state == HoursState::kOpen      ? n.open
                                            : state == HoursState::kHoliday ? n.holiday
                                                                            : n.closed;
                   go(target, fmt::format("{} in {}", to_string(state), n.timezone));
                 },
                 [&](const CallerListNode& n) {
                   const std::string& caller = vars_["caller"];
                   for (const auto& [list, target] : n.cases) {
                     auto it = flow_->lists.find(list);
                     if (it != flow_->lists.end() && it->second.matches(caller)) {
                       go(target, fmt::format("caller '{}' is in list '{}'", caller, list));
                       return;
                     }
                   }
                   go(n.otherwise, fmt::format("caller '{}' is in no list", caller));
                 },
                 [&](const BranchNode& n) {
                   auto it = vars_.find(n.variable);
                   const std::string value = it == vars_.end() ? std::string() : it->second;
                   for (const auto& c : n.cases) {
                     bool match = false;
                     switch (c.op) {
                       case BranchCase::Op::kEquals: match = value == c.value; break;
                       case BranchCase::Op::kPrefix: match = value.starts_with(c.value); break;
                       case BranchCase::Op::kRegex:
                         match = c.regex && std::regex_search(value, *c.regex);
                         break;
                     }
                     if (match) {
                       go(c.next, fmt::format("{}='{}' matches '{}'", n.variable, value, c.value));
                       return;
                     }
                   }
                   go(n.otherwise, fmt::format("{}='{}' matches no case", n.variable, value));
                 },
                 [&](const HttpNode& n) {
                   http_ = ++next_id_;
                   emit(HttpGet{http_, render(n.url, true), n.timeout});
                   start_timer(n.timeout);
                   phase_ = Phase::kHttp;
                 },
                 [&](const SetNode& n) {
                   for (const auto& [name, tmpl] : n.assignments) set_var(name, render(tmpl));
                   go(n.next, "set");
                 },
                 [&](const QueueNode& n) {
                   typeahead_.clear();
                   finish(RouteToQueue{n.queue, n.priority, n.skills}, "queue");
                 },
                 [&](const ExtensionNode& n) {
                   typeahead_.clear();
                   finish(RouteToExtension{n.extension}, "extension");
                 },
                 [&](const TransferNode& n) {
                   typeahead_.clear();
                   finish(TransferToNumber{render(n.number)}, "transfer");
                 },
                 [&](const VoicemailNode& n) {
                   typeahead_.clear();
                   finish(RouteToVoicemail{n.box}, "voicemail");
                 },
                 [&](const CallbackNode& n) {
                   typeahead_.clear();
                   callback_number_.clear();
                   emit(CollectDigits{0, n.max_digits, '#'});
                   play(n.prompt, true);
                   phase_ = Phase::kPrompt;
                 },
                 [&](const HangupNode& n) {
                   typeahead_.clear();
                   finish(Hangup{n.cause}, "hangup");
                 },
             },
             node.body);
}

// --- events ---------------------------------------------------------------------

std::vector<Command> Session::on_event(const Event& event) {
  std::vector<Command> out;
  if (!started_ || finished_) {
    if (trace_.size() < limits_.max_trace) {
      trace(TraceEntry::Kind::kIgnored,
            fmt::format("{}: session {}", describe(event), finished_ ? "finished" : "not started"));
    }
    return out;
  }
  out_ = &out;
  trace(TraceEntry::Kind::kEvent, describe(event));
  std::visit(Overloaded{
                 [&](const DigitReceived& e) { on_digit(e.digit); },
                 [&](const DigitsCollected& e) {
                   const Node& node = flow_->nodes[node_];
                   const bool collecting =
                       std::holds_alternative<CollectNode>(node.body) ||
                       (std::holds_alternative<CallbackNode>(node.body) &&
                        (phase_ == Phase::kPrompt || phase_ == Phase::kInvalidPrompt ||
                         phase_ == Phase::kWaitDigits));
                   if (!collecting) {
                     trace(TraceEntry::Kind::kIgnored, "not collecting digits");
                     return;
                   }
                   stop_prompt();
                   cancel_timer();
                   digits_.clear();
                   const DigitRules r = rules();
                   for (char c : e.digits) {
                     if (is_key(c) && c != r.terminator && digits_.size() < r.max) digits_ += c;
                   }
                   collect_done();
                 },
                 [&](const PromptFinished& e) {
                   if (e.id != prompt_ || prompt_ == 0) {
                     trace(TraceEntry::Kind::kIgnored, "stale prompt");
                     return;
                   }
                   prompt_ = 0;
                   on_prompt_finished(e);
                 },
                 [&](const TimerFired& e) {
                   if (e.id != timer_ || timer_ == 0) {
                     trace(TraceEntry::Kind::kIgnored, "stale timer");
                     return;
                   }
                   timer_ = 0;
                   on_timer();
                 },
                 [&](const HttpResponse& e) {
                   if (e.id != http_ || http_ == 0) {
                     trace(TraceEntry::Kind::kIgnored, "stale http reply");
                     return;
                   }
                   http_ = 0;
                   on_http(&e, {});
                 },
                 [&](const HttpFailed& e) {
                   if (e.id != http_ || http_ == 0) {
                     trace(TraceEntry::Kind::kIgnored, "stale http failure");
                     return;
                   }
                   http_ = 0;
                   on_http(nullptr, e.reason);
                 },
                 [&](const CallerHungUp&) {
                   cancel_timer();
                   if (http_ != 0) {
                     emit(CancelHttp{http_});
                     http_ = 0;
                   }
                   prompt_ = 0;  // the media is gone with the call
                   finished_ = true;
                   pending_ = kNoNode;
                   end_reason_ = "caller-hangup";
                   trace(TraceEntry::Kind::kEnded, end_reason_);
                 },
             },
             event);
  run();
  out_ = nullptr;
  return out;
}

void Session::on_digit(char digit) {
  if (!is_key(digit)) {
    trace(TraceEntry::Kind::kIgnored, "not a key");
    return;
  }
  const Node& node = flow_->nodes[node_];
  std::visit(Overloaded{
                 [&](const PlayNode& n) {
                   if (!n.barge_in) {
                     trace(TraceEntry::Kind::kIgnored, "play without barge-in");
                     return;
                   }
                   if (typeahead_.size() < limits_.max_typeahead) typeahead_ += digit;
                   go(n.next, fmt::format("barge-in with {}", digit));
                 },
                 [&](const MenuNode& n) { menu_key(n, digit); },
                 [&](const CollectNode&) { collect_key(digit); },
                 [&](const CallbackNode& n) {
                   switch (phase_) {
                     case Phase::kPrompt:
                     case Phase::kInvalidPrompt:
                     case Phase::kWaitDigits: collect_key(digit); break;
                     case Phase::kConfirmPrompt:
                     case Phase::kConfirmInvalid:
                     case Phase::kConfirmWait: callback_confirm_key(n, digit); break;
                     default: trace(TraceEntry::Kind::kIgnored, "not expecting a key"); break;
                   }
                 },
                 [&](const auto&) { trace(TraceEntry::Kind::kIgnored, "not expecting a key"); },
             },
             node.body);
}

void Session::on_prompt_finished(const PromptFinished& e) {
  if (e.failed) trace(TraceEntry::Kind::kDecision, "prompt failed; going on as if it ended");
  const Node& node = flow_->nodes[node_];
  std::visit(Overloaded{
                 [&](const PlayNode& n) { go(n.next, "prompt finished"); },
                 [&](const MenuNode& n) {
                   if (phase_ == Phase::kPrompt) {
                     start_timer(n.timeout);
                     phase_ = Phase::kWaitDigits;
                   } else {
                     play(n.prompt, true);
                     phase_ = Phase::kPrompt;
                   }
                 },
                 [&](const CollectNode& n) {
                   if (phase_ == Phase::kInvalidPrompt && !n.prompt.empty()) {
                     play(n.prompt, true);
                     phase_ = Phase::kPrompt;
                     return;
                   }
                   start_timer(digits_.empty() ? n.first_digit_timeout : n.inter_digit_timeout);
                   phase_ = Phase::kWaitDigits;
                 },
                 [&](const CallbackNode& n) {
                   switch (phase_) {
                     case Phase::kInvalidPrompt:
                       play(n.prompt, true);
                       phase_ = Phase::kPrompt;
                       break;
                     case Phase::kConfirmPrompt:
                       start_timer(n.timeout);
                       phase_ = Phase::kConfirmWait;
                       break;
                     case Phase::kConfirmInvalid:
                       play(n.confirm_prompt, true);
                       phase_ = Phase::kConfirmPrompt;
                       break;
                     case Phase::kDonePrompt: finish(Hangup{"callback"}, "callback"); break;
                     default:
                       start_timer(n.timeout);
                       phase_ = Phase::kWaitDigits;
                       break;
                   }
                 },
                 [&](const auto&) { trace(TraceEntry::Kind::kIgnored, "no prompt expected"); },
             },
             node.body);
}

void Session::on_timer() {
  const Node& node = flow_->nodes[node_];
  std::visit(Overloaded{
                 [&](const MenuNode& n) {
                   trace(TraceEntry::Kind::kDecision, "no key before the timeout");
                   menu_retry(n, false);
                 },
                 [&](const CollectNode&) {
                   if (digits_.empty()) {
                     trace(TraceEntry::Kind::kDecision, "no digits before the timeout");
                     collect_retry();
                   } else {
                     collect_done();
                   }
                 },
                 [&](const CallbackNode& n) {
                   if (phase_ == Phase::kConfirmWait) {
                     trace(TraceEntry::Kind::kDecision, "no confirmation before the timeout");
                     callback_retry(n, true);
                   } else if (digits_.empty()) {
                     trace(TraceEntry::Kind::kDecision, "no digits before the timeout");
                     callback_retry(n, false);
                   } else {
                     collect_done();
                   }
                 },
                 [&](const HttpNode& n) {
                   emit(CancelHttp{http_});
                   http_ = 0;
                   go(n.failure, "http timeout");
                 },
                 [&](const auto&) { trace(TraceEntry::Kind::kIgnored, "no timer expected"); },
             },
             node.body);
}

void Session::on_http(const HttpResponse* response, std::string_view failure) {
  const auto* node = std::get_if<HttpNode>(&flow_->nodes[node_].body);
  if (node == nullptr) return;  // cannot happen: http_ is only set in an http node
  cancel_timer();
  if (response == nullptr) {
    go(node->failure, fmt::format("http failed: {}", failure));
    return;
  }
  if (response->status < 200 || response->status > 299) {
    go(node->failure, fmt::format("http status {}", response->status));
    return;
  }
  if (response->body.size() > limits_.max_http_body) {
    go(node->failure, fmt::format("http body too large ({} bytes)", response->body.size()));
    return;
  }
  const nlohmann::json doc = nlohmann::json::parse(response->body, nullptr, false);
  if (doc.is_discarded()) {
    go(node->failure, "http reply is not JSON");
    return;
  }
  std::vector<std::pair<std::string, std::string>> values;
  for (const auto& [name, pointer] : node->store) {
    std::optional<std::string> text;
    try {
      const nlohmann::json::json_pointer ptr(pointer);
      if (doc.contains(ptr)) text = scalar_text(doc.at(ptr));
    } catch (const nlohmann::json::exception&) {
      text.reset();
    }
    if (!text) {
      go(node->failure, fmt::format("reply has no value at '{}'", pointer));
      return;
    }
    values.emplace_back(name, std::move(*text));
  }
  for (auto& [name, value] : values) set_var(name, std::move(value));
  go(node->next, "http ok");
}

// --- menus ----------------------------------------------------------------------

void Session::menu_key(const MenuNode& menu, char key) {
  stop_prompt();
  cancel_timer();
  auto it = menu.choices.find(key);
  if (it != menu.choices.end()) {
    go(it->second, fmt::format("key {}", key));
    return;
  }
  trace(TraceEntry::Kind::kDecision, fmt::format("key {} is not a choice", key));
  menu_retry(menu, true);
}

void Session::menu_retry(const MenuNode& menu, bool invalid) {
  ++attempts_;
  if (attempts_ >= menu.attempts) {
    go(menu.fallback, fmt::format("{} attempts used", attempts_));
    return;
  }
  const Prompt& p = invalid ? menu.invalid_prompt : menu.timeout_prompt;
  if (!p.empty()) {
    play(p, true);
    phase_ = invalid ? Phase::kInvalidPrompt : Phase::kTimeoutPrompt;
  } else {
    play(menu.prompt, true);
    phase_ = Phase::kPrompt;
  }
}

// --- digit collection (collect nodes and the callback number) -------------------

Session::DigitRules Session::rules() const {
  const NodeBody& body = flow_->nodes[node_].body;
  if (const auto* c = std::get_if<CollectNode>(&body)) {
    return {c->min_digits, c->max_digits, c->terminator, c->first_digit_timeout,
            c->inter_digit_timeout};
  }
  if (const auto* cb = std::get_if<CallbackNode>(&body)) {
    return {cb->min_digits, cb->max_digits, '#', cb->timeout, cb->timeout};
  }
  return {};
}

void Session::collect_key(char key) {
  const DigitRules r = rules();
  if (phase_ == Phase::kPrompt || phase_ == Phase::kInvalidPrompt) stop_prompt();
  phase_ = Phase::kWaitDigits;
  if (r.terminator != '\0' && key == r.terminator) {
    collect_done();
    return;
  }
  if (digits_.size() < r.max) digits_ += key;
  if (digits_.size() >= r.max) {
    collect_done();
    return;
  }
  start_timer(r.inter);
}

void Session::collect_done() {
  cancel_timer();
  const NodeBody& body = flow_->nodes[node_].body;
  if (const auto* c = std::get_if<CollectNode>(&body)) {
    if (digits_.size() >= c->min_digits) {
      set_var(c->into, digits_);
      go(c->next, fmt::format("collected {} digits", digits_.size()));
    } else {
      trace(TraceEntry::Kind::kDecision,
            fmt::format("{} digits, fewer than {}", digits_.size(), c->min_digits));
      collect_retry();
    }
    return;
  }
  const auto* cb = std::get_if<CallbackNode>(&body);
  if (cb == nullptr) return;
  std::string number = digits_;
  if (number.empty()) number = vars_["caller"];
  if (number.empty() || (!digits_.empty() && digits_.size() < cb->min_digits)) {
    trace(TraceEntry::Kind::kDecision, fmt::format("callback number '{}' refused", digits_));
    callback_retry(*cb, false);
    return;
  }
  callback_number_ = number;
  set_var("callback_number", number);
  play(cb->confirm_prompt, true);
  phase_ = Phase::kConfirmPrompt;
}

void Session::collect_retry() {
  const auto* c = std::get_if<CollectNode>(&flow_->nodes[node_].body);
  if (c == nullptr) return;
  ++attempts_;
  digits_.clear();
  if (attempts_ >= c->attempts) {
    go(c->fallback, fmt::format("{} attempts used", attempts_));
    return;
  }
  if (!c->invalid_prompt.empty()) {
    play(c->invalid_prompt, true);
    phase_ = Phase::kInvalidPrompt;
  } else if (!c->prompt.empty()) {
    play(c->prompt, true);
    phase_ = Phase::kPrompt;
  } else {
    start_timer(c->first_digit_timeout);
    phase_ = Phase::kWaitDigits;
  }
}

void Session::callback_confirm_key(const CallbackNode& cb, char key) {
  stop_prompt();
  cancel_timer();
  if (key == '1') {
    trace(TraceEntry::Kind::kDecision, "callback confirmed");
    emit(RequestCallback{callback_number_, cb.queue});
    if (cb.done_prompt.empty()) {
      finish(Hangup{"callback"}, "callback");
    } else {
      play(cb.done_prompt, false);
      phase_ = Phase::kDonePrompt;
    }
    return;
  }
  if (key == '2') {
    trace(TraceEntry::Kind::kDecision, "caller asked to enter the number again");
    if (++attempts_ >= cb.attempts) {
      go(cb.fallback, fmt::format("{} attempts used", attempts_));
      return;
    }
    digits_.clear();
    play(cb.prompt, true);
    phase_ = Phase::kPrompt;
    return;
  }
  trace(TraceEntry::Kind::kDecision, fmt::format("key {} is not 1 or 2", key));
  callback_retry(cb, true);
}

void Session::callback_retry(const CallbackNode& cb, bool confirming) {
  ++attempts_;
  if (attempts_ >= cb.attempts) {
    go(cb.fallback, fmt::format("{} attempts used", attempts_));
    return;
  }
  if (confirming) {
    if (!cb.invalid_prompt.empty()) {
      play(cb.invalid_prompt, true);
      phase_ = Phase::kConfirmInvalid;
    } else {
      play(cb.confirm_prompt, true);
      phase_ = Phase::kConfirmPrompt;
    }
    return;
  }
  digits_.clear();
  if (!cb.invalid_prompt.empty()) {
    play(cb.invalid_prompt, true);
    phase_ = Phase::kInvalidPrompt;
  } else {
    play(cb.prompt, true);
    phase_ = Phase::kPrompt;
  }
}

}  // namespace hotline::cc::ivr
