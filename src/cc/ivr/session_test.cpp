#include "cc/ivr/session.hpp"

#include <gtest/gtest.h>

#include "cc/ivr/flow_registry.hpp"
#include "cc/ivr/test_driver.hpp"
#include "support/test_support.hpp"

namespace hotline::cc::ivr {
namespace {

using namespace std::chrono_literals;
using std::chrono::December;
using std::chrono::November;
using testing::Driver;

constexpr auto kParis = std::chrono::minutes(60);
// 2026-11-25 is a Wednesday, 2026-11-28 a Saturday, 2026-12-25 a listed holiday.
const Timestamp kWednesdayMorning = testing::local_time(2026y / November / 25, 10h, kParis);
const Timestamp kSaturdayEvening = testing::local_time(2026y / November / 28, 18h, kParis);
const Timestamp kChristmasNoon = testing::local_time(2026y / December / 25, 12h, kParis);

const std::string kCaller = "+33123456789";

std::shared_ptr<const Flow> demo_flow(const ZoneResolver& zones) {
  const auto text =
      hotline::testing::read_file(hotline::testing::source_dir() / "config/ivr/demo.yaml");
  auto set = testing::load_or_fail(text, zones, "config/ivr/demo.yaml");
  auto flow = set.find("demo");
  EXPECT_NE(flow, nullptr);
  return flow;
}

CallContext call(std::string caller = kCaller) {
  return CallContext{"call-1", std::move(caller), "100", "google-ads"};
}

// Starts the demo in open hours and lets the welcome prompt play to the menu.
void to_main_menu(Driver& d) {
  d.begin(demo_flow(d.zones), call());
  ASSERT_EQ(d.session->current_node(), "welcome");
  d.finish_prompt();
  ASSERT_EQ(d.session->current_node(), "main_menu");
}

TEST(IvrSession, OpenHoursMenuChoiceRoutesToSalesQueue) {
  Driver d(kWednesdayMorning);
  to_main_menu(d);
  EXPECT_NE(d.playing_text().find("For sales, press 1"), std::string::npos);
  d.finish_prompt();
  ASSERT_EQ(d.timers.size(), 1u);  // waiting for a key
  d.digit('1');
  ASSERT_TRUE(d.session->finished());
  const auto* route = d.last<RouteToQueue>();
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->queue, "sales");
  EXPECT_TRUE(d.timers.empty());  // the menu timer was cancelled
  EXPECT_EQ(d.nodes(),
            (std::vector<std::string>{"screen", "hours", "welcome", "main_menu", "sales"}));
  EXPECT_EQ(d.session->end_reason(), "queue");
  EXPECT_EQ(d.terminal_commands, 1u);
}

TEST(IvrSession, WelcomeIsTtsWithVoiceAndLanguage) {
  Driver d(kWednesdayMorning);
  d.begin(demo_flow(d.zones), call());
  const auto* tts = d.last<PlayTts>();
  ASSERT_NE(tts, nullptr);
  EXPECT_EQ(tts->text, "Welcome to Acme. Calls may be recorded for training.");
  EXPECT_EQ(tts->voice, "en-us");
  EXPECT_EQ(tts->language, "en");
  EXPECT_TRUE(tts->barge_in);
}

TEST(IvrSession, DigitDuringMenuPromptStopsItAndCountsAsTheChoice) {
  Driver d(kWednesdayMorning);
  to_main_menu(d);
  const PromptId menu_prompt = *d.playing;
  d.digit('2');
  const auto* stop = d.last<StopPrompt>();
  ASSERT_NE(stop, nullptr);
  EXPECT_EQ(stop->id, menu_prompt);
  ASSERT_NE(d.last<RouteToQueue>(), nullptr);
  EXPECT_EQ(d.last<RouteToQueue>()->queue, "support");
}

TEST(IvrSession, BargeInDuringWelcomeCarriesTheKeyIntoTheMenu) {
  Driver d(kWednesdayMorning);
  d.begin(demo_flow(d.zones), call());
  d.digit('0');  // during the welcome prompt
  ASSERT_TRUE(d.session->finished());
  ASSERT_NE(d.last<RouteToExtension>(), nullptr);
  EXPECT_EQ(d.last<RouteToExtension>()->extension, "1001");
  EXPECT_EQ(d.nodes(),
            (std::vector<std::string>{"screen", "hours", "welcome", "main_menu", "operator"}));
}

TEST(IvrSession, InvalidKeyPlaysTheInvalidPromptThenTheMenuAgain) {
  Driver d(kWednesdayMorning);
  to_main_menu(d);
  d.finish_prompt();
  d.digit('7');
  EXPECT_EQ(d.playing_text(), "Sorry, that is not a valid choice.");
  EXPECT_TRUE(d.timers.empty());
  d.finish_prompt();
  EXPECT_NE(d.playing_text().find("For sales"), std::string::npos);
  d.finish_prompt();
  d.digit('9');
  ASSERT_NE(d.last<RouteToVoicemail>(), nullptr);
  EXPECT_EQ(d.last<RouteToVoicemail>()->box, "general");
}

TEST(IvrSession, TimeoutsUseTheAttemptsThenTheFallback) {
  Driver d(kWednesdayMorning);
  to_main_menu(d);
  d.finish_prompt();
  d.advance(4999ms);
  EXPECT_FALSE(d.session->finished());
  EXPECT_EQ(d.session->current_node(), "main_menu");
  d.advance(1ms);  // first timeout
  EXPECT_EQ(d.playing_text(), "Sorry, we did not get your choice.");
  d.finish_prompt();
  d.finish_prompt();  // the menu again
  d.advance(5s);      // second timeout
  d.finish_prompt();
  d.finish_prompt();
  EXPECT_FALSE(d.session->finished());
  d.advance(5s);  // third: attempts used
  ASSERT_TRUE(d.session->finished());
  ASSERT_NE(d.last<RouteToExtension>(), nullptr);
  EXPECT_EQ(d.nodes().back(), "operator");
}

TEST(IvrSession, BalanceLookupSaysTheValueFromTheReply) {
  Driver d(kWednesdayMorning);
  to_main_menu(d);
  d.digit('3');
  const auto* get = d.last<HttpGet>();
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get->url, "http://127.0.0.1:8080/api/v1/demo/balance?caller=%2B33123456789");
  EXPECT_EQ(get->timeout, 3s);
  d.http_reply(200, R"({"balance": 42.5, "currency": "euros", "extra": [1, 2]})");
  EXPECT_EQ(d.session->current_node(), "say_balance");
  EXPECT_EQ(d.playing_text(), "Your balance is 42.5 euros.");
  EXPECT_EQ(d.session->variable("balance"), "42.5");
  EXPECT_TRUE(d.timers.empty());
  d.finish_prompt();
  EXPECT_EQ(d.session->current_node(), "main_menu");  // back to the menu
}

TEST(IvrSession, BalanceLookupFailurePaths) {
  struct Case {
    const char* name;
    std::function<void(Driver&)> fail;
  };
  const std::vector<Case> cases = {
      {"refused", [](Driver& d) { d.http_fail("connection refused"); }},
      {"status 500", [](Driver& d) { d.http_reply(500, R"({"balance": 1})"); }},
      {"bad json", [](Driver& d) { d.http_reply(200, "{\"balance\": "); }},
      {"missing field", [](Driver& d) { d.http_reply(200, R"({"balance": 1})"); }},
      {"object, not a value",
       [](Driver& d) { d.http_reply(200, R"({"balance": {"x": 1}, "currency": "eur"})"); }},
      {"timeout", [](Driver& d) { d.advance(3s); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Driver d(kWednesdayMorning);
    to_main_menu(d);
    d.digit('3');
    c.fail(d);
    EXPECT_EQ(d.session->current_node(), "balance_unavailable");
    EXPECT_FALSE(d.session->variable("balance").has_value());
    d.finish_prompt();
    ASSERT_NE(d.last<RouteToQueue>(), nullptr);
    EXPECT_EQ(d.last<RouteToQueue>()->queue, "support");
  }
}

TEST(IvrSession, LateHttpReplyAfterTheTimeoutIsIgnored) {
  Driver d(kWednesdayMorning);
  to_main_menu(d);
  d.digit('3');
  const RequestId id = *d.http;
  d.advance(3s);
  ASSERT_NE(d.last<CancelHttp>(), nullptr);
  EXPECT_EQ(d.last<CancelHttp>()->id, id);
  EXPECT_EQ(d.session->current_node(), "balance_unavailable");
  d.send(HttpResponse{id, 200, R"({"balance": 1, "currency": "eur"})"});
  EXPECT_EQ(d.session->current_node(), "balance_unavailable");
  EXPECT_FALSE(d.session->variable("balance").has_value());
}

TEST(IvrSession, StalePromptAndTimerEventsAreIgnored) {
  Driver d(kWednesdayMorning);
  to_main_menu(d);
  const auto before = d.commands.size();
  d.send(PromptFinished{9999, false});
  d.send(TimerFired{9999});
  EXPECT_EQ(d.commands.size(), before);
  EXPECT_EQ(d.session->current_node(), "main_menu");
  d.drain_trace();
  EXPECT_EQ(d.trace.back().kind, TraceEntry::Kind::kIgnored);
}

TEST(IvrSession, AfterHoursOffersVoicemail) {
  Driver d(kSaturdayEvening);
  d.begin(demo_flow(d.zones), call());
  EXPECT_EQ(d.session->current_node(), "after_hours");
  d.digit('1');
  ASSERT_NE(d.last<RouteToVoicemail>(), nullptr);
  EXPECT_EQ(d.nodes(), (std::vector<std::string>{"screen", "hours", "after_hours", "voicemail"}));
}

TEST(IvrSession, HolidayPlaysTheHolidayMessage) {
  Driver d(kChristmasNoon);
  d.begin(demo_flow(d.zones), call());
  EXPECT_EQ(d.session->current_node(), "holiday");
  d.finish_prompt();
  ASSERT_NE(d.last<RouteToVoicemail>(), nullptr);
}

TEST(IvrSession, CallerListsScreenVipAndBlockedCallers) {
  {
    Driver d(kSaturdayEvening);
    d.begin(demo_flow(d.zones), call("+33612345678"));
    const auto* route = d.last<RouteToQueue>();
    ASSERT_NE(route, nullptr);
    EXPECT_EQ(route->queue, "support");
    EXPECT_EQ(route->priority, 100);
  }
  {
    Driver d(kWednesdayMorning);
    d.begin(demo_flow(d.zones), call("+442079460123"));  // by prefix
    EXPECT_EQ(d.session->current_node(), "vip_queue");
  }
  {
    Driver d(kWednesdayMorning);
    d.begin(demo_flow(d.zones), call("+33999000111"));
    ASSERT_NE(d.last<Hangup>(), nullptr);
    EXPECT_EQ(d.last<Hangup>()->cause, "call-rejected");
  }
}

TEST(IvrSession, CallbackWithTheCallersOwnNumber) {
  Driver d(kSaturdayEvening);
  d.begin(demo_flow(d.zones), call());
  d.digit('2');
  EXPECT_EQ(d.session->current_node(), "callback");
  d.finish_prompt();
  d.digit('#');  // use the number calling
  EXPECT_EQ(d.playing_text(),
            "We will call you back on +33123456789. Press 1 to confirm, or 2 to enter it again.");
  d.digit('1');
  const auto* cb = d.last<RequestCallback>();
  ASSERT_NE(cb, nullptr);
  EXPECT_EQ(cb->number, kCaller);
  EXPECT_EQ(cb->queue, "support");
  EXPECT_FALSE(d.session->finished());  // the goodbye plays first
  d.finish_prompt();
  ASSERT_TRUE(d.session->finished());
  EXPECT_EQ(d.last<Hangup>()->cause, "callback");
}

TEST(IvrSession, CallbackWithAnEnteredNumberReenteredOnce) {
  Driver d(kSaturdayEvening);
  d.begin(demo_flow(d.zones), call());
  d.digit('2');
  d.digits("0612#");  // too short
  EXPECT_EQ(d.playing_text(), "Sorry, that number is not valid.");
  d.finish_prompt();
  d.digits("0611111111#");
  EXPECT_NE(d.playing_text().find("0611111111"), std::string::npos);
  d.digit('2');  // enter again
  d.digits("0699999999");
  d.advance(6s);  // the inter-digit timeout ends the entry
  EXPECT_NE(d.playing_text().find("0699999999"), std::string::npos);
  d.digit('1');
  ASSERT_NE(d.last<RequestCallback>(), nullptr);
  EXPECT_EQ(d.last<RequestCallback>()->number, "0699999999");
  EXPECT_EQ(d.session->variable("callback_number"), "0699999999");
}

TEST(IvrSession, CallbackFallsBackAfterTheAttempts) {
  Driver d(kSaturdayEvening);
  d.begin(demo_flow(d.zones), call(""));  // no caller number to fall back on
  d.digit('2');
  for (int i = 0; i < 3 && !d.session->finished(); ++i) {
    if (d.playing) d.finish_prompt();
    if (d.playing) d.finish_prompt();
    d.digit('#');
  }
  ASSERT_TRUE(d.session->finished());
  EXPECT_EQ(d.count<RequestCallback>(), 0u);
  ASSERT_NE(d.last<RouteToVoicemail>(), nullptr);
}

TEST(IvrSession, CallerHangUpEndsTheSessionAndCancelsTheTimer) {
  Driver d(kWednesdayMorning);
  to_main_menu(d);
  d.finish_prompt();
  ASSERT_EQ(d.timers.size(), 1u);
  d.send(CallerHungUp{});
  EXPECT_TRUE(d.session->finished());
  EXPECT_EQ(d.session->end_reason(), "caller-hangup");
  EXPECT_TRUE(d.timers.empty());
  EXPECT_EQ(d.terminal_commands, 0u);
  d.digit('1');
  EXPECT_EQ(d.count<RouteToQueue>(), 0u);
}

TEST(IvrSession, EveryCommandIsTraced) {
  Driver d(kWednesdayMorning);
  to_main_menu(d);
  d.digit('3');
  d.http_reply(200, R"({"balance": "7", "currency": "euros"})");
  d.finish_prompt();
  d.digit('1');
  d.drain_trace();
  std::vector<std::string> traced;
  for (const auto& t : d.trace) {
    if (t.kind == TraceEntry::Kind::kCommand) traced.push_back(t.detail);
    EXPECT_FALSE(t.node.empty() && t.kind == TraceEntry::Kind::kCommand);
  }
  std::vector<std::string> issued;
  for (const auto& c : d.commands) issued.push_back(describe(c));
  EXPECT_EQ(traced, issued);
  EXPECT_EQ(d.nodes(),
            (std::vector<std::string>{"screen", "hours", "welcome", "main_menu", "balance_lookup",
                                      "say_balance", "main_menu", "sales"}));
}

// --- nodes the demo does not use --------------------------------------------------

constexpr std::string_view kAccountFlow = R"(
flows:
  account:
    start: ask
    max_steps: 12
    nodes:
      ask:
        type: collect
        prompt: {file: prompts/enter-account.wav}
        invalid_prompt: {tts: "That account number is too short."}
        min_digits: 4
        max_digits: 8
        terminator: "#"
        first_digit_timeout: 5s
        inter_digit_timeout: 2s
        into: account
        attempts: 2
        next: classify
        fallback: bye
      classify:
        type: branch
        variable: account
        cases:
          - {equals: "0000", next: repeat}
          - {prefix: "9", next: premium}
          - {regex: "^[0-9]{8}$", next: tag}
        otherwise: standard
      tag:
        type: set
        variables:
          note: "account ${account} from ${caller}"
        next: transfer
      transfer:
        type: transfer
        number: "+3314000${account}"
      premium:
        type: queue
        queue: premium
        priority: 50
        skills: {billing: 5, french: 3}
      standard:
        type: queue
        queue: standard
      repeat:
        type: menu
        prompt: {tts: "Press 9 to hear this again, 1 for the queue."}
        choices: {"9": repeat, "1": standard}
        fallback: standard
      bye:
        type: hangup
)";

std::shared_ptr<const Flow> account_flow(const ZoneResolver& zones) {
  return testing::load_or_fail(kAccountFlow, zones).find("account");
}

TEST(IvrSession, CollectWithTerminatorThenBranchOnPrefix) {
  Driver d;
  d.begin(account_flow(d.zones), call());
  ASSERT_NE(d.last<PlayFile>(), nullptr);
  EXPECT_EQ(d.last<PlayFile>()->file, "prompts/enter-account.wav");
  ASSERT_NE(d.last<CollectDigits>(), nullptr);
  EXPECT_EQ(d.last<CollectDigits>()->max_digits, 8u);
  d.digits("91234#");
  ASSERT_TRUE(d.session->finished());
  EXPECT_EQ(d.session->variable("account"), "91234");
  const auto* route = d.last<RouteToQueue>();
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->queue, "premium");
  EXPECT_EQ(route->priority, 50);
  EXPECT_EQ(route->skills,
            (std::vector<std::pair<std::string, int>>{{"billing", 5}, {"french", 3}}));
}

TEST(IvrSession, CollectEndsAtMaxDigitsAndRegexSetTransferUseVariables) {
  Driver d;
  d.begin(account_flow(d.zones), call());
  d.finish_prompt();
  d.digits("12345678");  // max reached: no terminator needed
  ASSERT_TRUE(d.session->finished());
  EXPECT_EQ(d.session->variable("note"), "account 12345678 from +33123456789");
  ASSERT_NE(d.last<TransferToNumber>(), nullptr);
  EXPECT_EQ(d.last<TransferToNumber>()->number, "+331400012345678");
}

TEST(IvrSession, CollectInterDigitTimeoutEndsTheEntry) {
  Driver d;
  d.begin(account_flow(d.zones), call());
  d.finish_prompt();
  d.digits("12345");
  d.advance(1999ms);
  EXPECT_FALSE(d.session->finished());
  d.advance(1ms);
  ASSERT_TRUE(d.session->finished());
  EXPECT_EQ(d.last<RouteToQueue>()->queue, "standard");
}

TEST(IvrSession, CollectTooFewDigitsAndFirstDigitTimeoutUseAttempts) {
  Driver d;
  d.begin(account_flow(d.zones), call());
  d.digits("12#");  // barge-in, too short
  EXPECT_EQ(d.playing_text(), "That account number is too short.");
  d.finish_prompt();
  EXPECT_EQ(d.playing_text(), "prompts/enter-account.wav");
  d.finish_prompt();
  d.advance(5s);  // no first digit: second attempt used
  ASSERT_TRUE(d.session->finished());
  ASSERT_NE(d.last<Hangup>(), nullptr);
  EXPECT_EQ(d.last<Hangup>()->cause, "normal");
}

TEST(IvrSession, DigitsCollectedBySwitchCompleteTheCollection) {
  Driver d;
  d.begin(account_flow(d.zones), call());
  d.send(DigitsCollected{"4444"});
  ASSERT_TRUE(d.session->finished());
  EXPECT_EQ(d.session->variable("account"), "4444");
}

TEST(IvrSession, MaxStepsStopsARunawayFlow) {
  Driver d;
  d.begin(account_flow(d.zones), call());
  d.digits("0000#");
  // Every 9 re-enters the menu: a caller could loop for ever without the guard.
  for (int i = 0; i < 20 && !d.session->finished(); ++i) d.digit('9');
  ASSERT_TRUE(d.session->finished());
  EXPECT_EQ(d.session->end_reason(), "ivr-max-steps");
  EXPECT_EQ(d.last<Hangup>()->cause, "ivr-max-steps");
  EXPECT_EQ(d.session->steps(), 13u);
}

// --- reload -----------------------------------------------------------------------

constexpr std::string_view kV1 = R"(
flows:
  main:
    start: menu
    nodes:
      menu:
        type: menu
        prompt: {tts: "Version one. Press 1."}
        choices: {"1": sales}
        fallback: sales
      sales: {type: queue, queue: sales}
)";
constexpr std::string_view kV2 = R"(
flows:
  main:
    start: menu
    nodes:
      menu:
        type: menu
        prompt: {tts: "Version two. Press 1."}
        choices: {"1": support}
        fallback: support
      support: {type: queue, queue: support}
)";

TEST(IvrSession, ReloadKeepsCallsInProgressOnTheirSnapshot) {
  FlowRegistry registry;
  Driver old_call;
  registry.replace(testing::load_or_fail(kV1, old_call.zones));
  old_call.begin(registry.find("main"), call("+331"));
  EXPECT_EQ(old_call.playing_text(), "Version one. Press 1.");
  std::weak_ptr<const Flow> v1 = registry.find("main");

  EXPECT_EQ(registry.replace(testing::load_or_fail(kV2, old_call.zones)), 2u);  // SIGHUP

  Driver new_call;
  new_call.begin(registry.find("main"), call("+332"));
  EXPECT_EQ(new_call.playing_text(), "Version two. Press 1.");
  EXPECT_FALSE(v1.expired());  // still held by the call in progress

  old_call.digit('1');
  EXPECT_EQ(old_call.last<RouteToQueue>()->queue, "sales");
  new_call.digit('1');
  EXPECT_EQ(new_call.last<RouteToQueue>()->queue, "support");

  old_call.session.reset();
  EXPECT_TRUE(v1.expired());  // freed with the last call that used it
}

}  // namespace
}  // namespace hotline::cc::ivr
