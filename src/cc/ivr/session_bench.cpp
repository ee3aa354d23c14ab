// Cost of the IVR interpreter per call, without media or SIP: what the switch's
// control loop spends on the menu logic of one call, and on loading flows at reload.
#include <benchmark/benchmark.h>

#include "cc/ivr/flow_loader.hpp"
#include "cc/ivr/session.hpp"

namespace hotline::cc::ivr {
namespace {

constexpr std::string_view kFlow = R"(
flows:
  main:
    start: hours
    lists:
      vip: ["+33612345678", "+4420*"]
    nodes:
      hours:
        type: hours
        timezone: UTC
        schedule: {daily: "00:00-24:00"}
        open: screen
        closed: voicemail
      screen:
        type: caller_list
        cases: {vip: support}
        otherwise: welcome
      welcome:
        type: play
        prompt: {tts: "Welcome to Acme.", voice: en-us}
        barge_in: true
        next: menu
      menu:
        type: menu
        prompt: {tts: "For sales press 1, for support press 2, for your balance press 3."}
        choices: {"1": sales, "2": support, "3": lookup, "9": voicemail}
        invalid_prompt: {tts: "Sorry."}
        fallback: support
      lookup:
        type: http
        url: http://crm.local/balance?caller=${caller}
        store: {balance: /balance}
        next: say
        failure: support
      say:
        type: play
        prompt: {tts: "Your balance is ${balance}."}
        next: menu
      sales: {type: queue, queue: sales}
      support: {type: queue, queue: support}
      voicemail: {type: voicemail, box: general}
)";

std::shared_ptr<const Flow> load() {
  ConfigErrors errors;
  auto set = load_flows_from_text(kFlow, "bench.yaml", LoadOptions{}, errors);
  return set ? set->find("main") : nullptr;
}

PromptId playing(const std::vector<Command>& cmds) {
  for (const auto& c : cmds) {
    if (const auto* t = std::get_if<PlayTts>(&c)) return t->id;
  }
  return 0;
}

// welcome -> menu prompt -> key 1 -> queue.
void BM_CallThroughMenu(benchmark::State& state) {
  const auto flow = load();
  const ManualClock clock;
  const FixedOffsetZones zones;
  for (auto _ : state) {
    Session s(flow, CallContext{"c1", "+33123456789", "100", "web"}, clock, zones);
    auto cmds = s.start();
    cmds = s.on_event(PromptFinished{playing(cmds), false});
    cmds = s.on_event(DigitReceived{'1'});
    benchmark::DoNotOptimize(cmds);
    benchmark::DoNotOptimize(s.take_trace());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CallThroughMenu);

// welcome barge-in 3 -> HTTP lookup -> say the value -> menu -> 2 -> queue.
void BM_CallWithHttpLookup(benchmark::State& state) {
  const auto flow = load();
  const ManualClock clock;
  const FixedOffsetZones zones;
  for (auto _ : state) {
    Session s(flow, CallContext{"c1", "+33123456789", "100", "web"}, clock, zones);
    s.start();
    auto cmds = s.on_event(DigitReceived{'3'});
    RequestId id = 0;
    for (const auto& c : cmds) {
      if (const auto* h = std::get_if<HttpGet>(&c)) id = h->id;
    }
    cmds = s.on_event(HttpResponse{id, 200, R"({"balance": "42.50", "name": "x"})"});
    cmds = s.on_event(PromptFinished{playing(cmds), false});
    cmds = s.on_event(DigitReceived{'2'});
    benchmark::DoNotOptimize(cmds);
    benchmark::DoNotOptimize(s.take_trace());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CallWithHttpLookup);

void BM_LoadFlow(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(load());
}
BENCHMARK(BM_LoadFlow);

}  // namespace
}  // namespace hotline::cc::ivr

BENCHMARK_MAIN();
