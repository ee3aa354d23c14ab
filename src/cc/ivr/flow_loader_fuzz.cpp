// libFuzzer target for the IVR flow loader and interpreter: any crash, uncaught
// exception, sanitizer report or broken invariant (abort) is a bug. Whatever loads
// is then walked by a session with a fixed script of events; after every event the
// session must be finished or waiting (session.hpp, invariant 1).
// Run: build with clang and -DHOTLINE_FUZZ=ON, then
// ./build/fuzz/src/cc/flow_loader_fuzz -max_len=8192 config/ivr
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cc/ivr/flow_loader.hpp"
#include "cc/ivr/session.hpp"

namespace {

using namespace hotline;
using namespace hotline::cc::ivr;

void check(bool ok) {
  if (!ok) std::abort();
}

// What the session has outstanding, from its commands.
struct Outstanding {
  PromptId prompt = 0;
  IvrTimerId timer = 0;
  RequestId http = 0;
  void take(const std::vector<Command>& cmds) {
    for (const auto& c : cmds) {
      if (const auto* f = std::get_if<PlayFile>(&c)) prompt = f->id;
      if (const auto* t = std::get_if<PlayTts>(&c)) prompt = t->id;
      if (const auto* s = std::get_if<StopPrompt>(&c); s && s->id == prompt) prompt = 0;
      if (const auto* s = std::get_if<StartTimer>(&c)) timer = s->id;
      if (const auto* x = std::get_if<CancelTimer>(&c); x && x->id == timer) timer = 0;
      if (const auto* h = std::get_if<HttpGet>(&c)) http = h->id;
      if (const auto* x = std::get_if<CancelHttp>(&c); x && x->id == http) http = 0;
    }
  }
};

void walk(const std::shared_ptr<const Flow>& flow, std::string_view script) {
  ManualClock clock;
  const FixedOffsetZones zones;
  Session s(flow, CallContext{"fuzz", "+33123456789", "100", "fuzz"}, clock, zones);
  Outstanding o;
  o.take(s.start());
  for (char c : script) {
    if (s.finished()) break;
    check(s.waiting());
    std::vector<Command> cmds;
    switch (static_cast<unsigned char>(c) % 6) {
      case 0:
        cmds = s.on_event(PromptFinished{o.prompt, false});
        o.prompt = 0;
        break;
      case 1:
        cmds = s.on_event(TimerFired{o.timer});
        o.timer = 0;
        break;
      case 2:
        cmds = s.on_event(HttpResponse{o.http, 200, R"({"balance": 1, "currency": "x"})"});
        o.http = 0;
        break;
      case 3:
        cmds = s.on_event(HttpFailed{o.http, "fuzz"});
        o.http = 0;
        break;
      default: cmds = s.on_event(DigitReceived{"0123456789*#"[static_cast<unsigned char>(c) % 12]});
    }
    o.take(cmds);
  }
  check(s.finished() || s.waiting());
  check(s.steps() <= flow->max_steps + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ConfigErrors errors;
  LoadOptions options;
  options.prompt_exists = [](std::string_view f) { return !f.empty() && f.front() != 'x'; };
  auto set = load_flows_from_text(text, "fuzz.yaml", options, errors);
  check(set.has_value() == errors.empty());
  if (!set) {
    for (const auto& e : errors.all()) check(!e.message.empty());
    return 0;
  }
  for (const auto& [name, flow] : set->flows) walk(flow, text.substr(text.size() / 2));
  return 0;
}
