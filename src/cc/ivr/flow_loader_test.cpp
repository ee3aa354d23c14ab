#include "cc/ivr/flow_loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace hotline::cc::ivr {
namespace {

using ::testing::HasSubstr;

// Loads `text` and returns the errors (one string per error, with its location).
std::vector<std::string> errors_of(std::string_view text, LoadOptions options = {}) {
  ConfigErrors errors;
  auto set = load_flows_from_text(text, "flows.yaml", options, errors);
  EXPECT_EQ(set.has_value(), errors.empty());
  std::vector<std::string> out;
  for (const auto& e : errors.all()) out.push_back(e.to_string());
  return out;
}

std::string one_error(std::string_view text, LoadOptions options = {}) {
  auto errs = errors_of(text, std::move(options));
  EXPECT_EQ(errs.size(), 1u) << ::testing::PrintToString(errs);
  return errs.empty() ? std::string() : errs.front();
}

TEST(IvrFlowLoader, DemoFlowLoadsAndHasTheExpectedShape) {
  FixedOffsetZones zones;
  zones.add("Europe/Paris", std::chrono::hours(1));
  LoadOptions options;
  options.zones = &zones;
  std::vector<std::string> checked_files;
  options.prompt_exists = [&](std::string_view f) {
    checked_files.emplace_back(f);
    return true;
  };
  ConfigErrors errors;
  const auto text =
      hotline::testing::read_file(hotline::testing::source_dir() / "config/ivr/demo.yaml");
  auto set = load_flows_from_text(text, "config/ivr/demo.yaml", options, errors);
  ASSERT_TRUE(errors.empty()) << errors.to_string();
  ASSERT_TRUE(set.has_value());
  auto flow = set->find("demo");
  ASSERT_NE(flow, nullptr);
  EXPECT_EQ(flow->nodes[flow->start].name, "screen");
  const auto* menu = std::get_if<MenuNode>(&flow->nodes[flow->find("main_menu")].body);
  ASSERT_NE(menu, nullptr);
  EXPECT_EQ(menu->choices.size(), 5u);
  EXPECT_EQ(flow->nodes[menu->choices.at('1')].name, "sales");
  EXPECT_EQ(flow->nodes[menu->choices.at('2')].name, "support");
  EXPECT_EQ(flow->nodes[menu->choices.at('3')].name, "balance_lookup");
  const auto* sales = std::get_if<QueueNode>(&flow->nodes[flow->find("sales")].body);
  ASSERT_NE(sales, nullptr);
  EXPECT_EQ(sales->queue, "sales");
  const auto* hours = std::get_if<HoursNode>(&flow->nodes[flow->find("hours")].body);
  ASSERT_NE(hours, nullptr);
  EXPECT_EQ(hours->week[0].size(), 1u);  // Monday
  EXPECT_EQ(hours->week[5].size(), 1u);  // Saturday
  EXPECT_TRUE(hours->week[6].empty());   // Sunday closed
  EXPECT_EQ(hours->holidays.size(), 2u);
}

TEST(IvrFlowLoader, UnknownNodeReferenceSaysWhereAndSuggests) {
  const std::string e = one_error(R"(flows:
  f:
    start: menu
    nodes:
      menu:
        type: menu
        prompt: {tts: "Press 1"}
        choices:
          "1": sales
        fallback: saless
      sales: {type: queue, queue: sales}
)");
  EXPECT_THAT(e, HasSubstr("f.nodes.menu.fallback"));
  EXPECT_THAT(e, HasSubstr("unknown node 'saless' (did you mean 'sales'?)"));
  EXPECT_THAT(e, HasSubstr("flows.yaml:10:19"));
}

TEST(IvrFlowLoader, UnreachableNode) {
  const std::string e = one_error(R"(flows:
  f:
    start: a
    nodes:
      a: {type: hangup}
      orphan: {type: queue, queue: sales}
)");
  EXPECT_THAT(e, HasSubstr("node 'orphan' is unreachable from the start node 'a'"));
  EXPECT_THAT(e, HasSubstr("flows.yaml:6:"));
}

TEST(IvrFlowLoader, MissingPromptFile) {
  LoadOptions options;
  options.prompt_exists = [](std::string_view f) { return f == "prompts/hello.wav"; };
  const std::string e = one_error(R"(flows:
  f:
    start: a
    nodes:
      a:
        type: play
        prompt: {file: prompts/hello.wav}
        next: b
      b:
        type: play
        prompt: {file: prompts/helo.wav}
        next: c
      c: {type: hangup}
)",
                                  options);
  EXPECT_THAT(e, HasSubstr("f.nodes.b.prompt.file: prompt file 'prompts/helo.wav' does not exist"));
  EXPECT_THAT(e, HasSubstr("flows.yaml:11:"));
}

TEST(IvrFlowLoader, LoopWithNoExit) {
  const std::string e = one_error(R"(flows:
  f:
    start: a
    nodes:
      a:
        type: menu
        prompt: {tts: "one"}
        choices: {"1": b}
        fallback: a
      b:
        type: play
        prompt: {tts: "two"}
        next: a
)");
  EXPECT_THAT(e, HasSubstr("loop with no exit: a, b"));
}

TEST(IvrFlowLoader, LoopOfNodesThatNeverWait) {
  const std::string e = one_error(R"(flows:
  f:
    start: a
    nodes:
      a:
        type: set
        variables: {x: "1"}
        next: b
      b:
        type: branch
        variable: x
        cases:
          - {equals: "1", next: a}
        otherwise: done
      done: {type: hangup}
)");
  EXPECT_THAT(e, HasSubstr("loop of nodes that never wait: a, b"));
}

TEST(IvrFlowLoader, BadDigitKeys) {
  const auto errs = errors_of(R"(flows:
  f:
    start: m
    nodes:
      m:
        type: menu
        prompt: {tts: "x"}
        choices:
          "12": q
          x: q
          "#": q
        fallback: q
      q: {type: queue, queue: sales}
)");
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_THAT(errs[0], HasSubstr("bad digit key '12'"));
  EXPECT_THAT(errs[1], HasSubstr("bad digit key 'x'"));
}

TEST(IvrFlowLoader, BadTimesDatesAndZones) {
  const auto errs = errors_of(R"(flows:
  f:
    start: h
    nodes:
      h:
        type: hours
        timezone: Europe/Pariss
        schedule:
          mon-frii: "08:00-18:00"
          sat: "8:00-12:00"
          sun: "18:00-08:00"
        holidays: ["2026-02-30", "2026-12-25"]
        open: q
        closed: q
      q: {type: queue, queue: sales}
)");
  ASSERT_EQ(errs.size(), 5u) << ::testing::PrintToString(errs);
  EXPECT_THAT(errs[0], HasSubstr("unknown time zone 'Europe/Pariss'"));
  EXPECT_THAT(errs[1], HasSubstr("bad days 'mon-frii'"));
  EXPECT_THAT(errs[2], HasSubstr("bad time range '8:00-12:00'"));
  EXPECT_THAT(errs[3], HasSubstr("the end must be after the start"));
  EXPECT_THAT(errs[4], HasSubstr("bad date '2026-02-30'"));
  EXPECT_THAT(errs[4], HasSubstr("flows.yaml:12:"));
}

TEST(IvrFlowLoader, FixedOffsetZonesAreAccepted) {
  EXPECT_TRUE(errors_of(R"(flows:
  f:
    start: h
    nodes:
      h:
        type: hours
        timezone: UTC-05:30
        schedule: {daily: ["00:00-12:00", "13:00-24:00"]}
        open: q
        closed: q
      q: {type: queue, queue: sales}
)")
                  .empty());
}

TEST(IvrFlowLoader, UnknownTypeAndKeysSuggest) {
  const auto errs = errors_of(R"(flows:
  f:
    start: m
    nodes:
      m:
        type: menue
      q:
        type: queue
        queue: sales
        priorty: 3
)");
  ASSERT_EQ(errs.size(), 2u) << ::testing::PrintToString(errs);
  EXPECT_THAT(errs[0], HasSubstr("(did you mean 'menu'?)"));
  EXPECT_THAT(errs[1], HasSubstr("unknown key 'priorty' (did you mean 'priority'?)"));
}

TEST(IvrFlowLoader, VariablesMustBeSetSomewhere) {
  const std::string e = one_error(R"(flows:
  f:
    start: ask
    nodes:
      ask:
        type: collect
        max_digits: 4
        into: account
        next: say
        fallback: bye
      say:
        type: play
        prompt: {tts: "You entered ${acount}."}
        next: bye
      bye: {type: hangup}
)");
  EXPECT_THAT(e,
              HasSubstr("variable 'acount' is never set in this flow (did you mean 'account'?)"));
}

TEST(IvrFlowLoader, BadRegexPointerPromptAndBuiltinAssignment) {
  const auto errs = errors_of(R"(flows:
  f:
    start: look
    nodes:
      look:
        type: http
        url: ftp://crm/${caller}
        store: {balance: balance}
        next: br
        failure: bye
      br:
        type: branch
        variable: caller
        cases:
          - {regex: "([0-9", next: bye}
          - {equals: "1", prefix: "2", next: bye}
        otherwise: s
      s:
        type: set
        variables: {caller: "x"}
        next: p
      p:
        type: play
        prompt: {file: a.wav, tts: "both"}
        next: bye
      bye: {type: hangup}
)");
  ASSERT_EQ(errs.size(), 6u) << ::testing::PrintToString(errs);
  EXPECT_THAT(errs[0], HasSubstr("bad URL 'ftp://crm/${caller}'"));
  EXPECT_THAT(errs[1], HasSubstr("bad JSON pointer 'balance'"));
  EXPECT_THAT(errs[2], HasSubstr("bad regular expression"));
  EXPECT_THAT(errs[3], HasSubstr("exactly one of 'equals', 'prefix' or 'regex'"));
  EXPECT_THAT(errs[4], HasSubstr("'caller' is a built-in variable"));
  EXPECT_THAT(errs[5], HasSubstr("exactly one of 'file'"));
}

TEST(IvrFlowLoader, CollectNeedsMaxDigitsAndAValidTerminator) {
  const auto errs = errors_of(R"(flows:
  f:
    start: c
    nodes:
      c:
        type: collect
        terminator: "5"
        into: x
        next: bye
        fallback: bye
      bye: {type: hangup}
)");
  ASSERT_EQ(errs.size(), 2u) << ::testing::PrintToString(errs);
  EXPECT_THAT(errs[0], HasSubstr("missing 'max_digits'"));
  EXPECT_THAT(errs[1], HasSubstr("bad terminator '5'"));
}

TEST(IvrFlowLoader, CallerListsMustExist) {
  const std::string e = one_error(R"(flows:
  f:
    start: c
    lists:
      vip: ["+3361*", "+33700000000"]
    nodes:
      c:
        type: caller_list
        cases: {vpi: q}
        otherwise: q
      q: {type: queue, queue: sales}
)");
  EXPECT_THAT(e, HasSubstr("unknown caller list 'vpi' (did you mean 'vip'?)"));
}

TEST(IvrFlowLoader, AFlowWithErrorsIsLeftOutOthersLoad) {
  FixedOffsetZones zones;
  ConfigErrors errors;
  auto doc = parse_yaml(R"(
good:
  start: a
  nodes: {a: {type: hangup}}
bad:
  start: nowhere
  nodes: {a: {type: hangup}}
)",
                        "x.yaml", errors);
  ASSERT_TRUE(doc.has_value());
  const auto root = ConfigNode::root(*doc, "x.yaml", errors);
  const FlowSet set = load_flows(root, LoadOptions{}, errors);
  EXPECT_EQ(errors.size(), 1u);
  EXPECT_NE(set.find("good"), nullptr);
  EXPECT_EQ(set.find("bad"), nullptr);
}

}  // namespace
}  // namespace hotline::cc::ivr

namespace hotline::cc::ivr {
namespace {

constexpr const char* kHoursByCalendar = R"(flows:
  f:
    start: hours
    nodes:
      hours:
        type: hours
        timezone: UTC
        schedule: { mon-fri: "08:00-18:00" }
        holidays: %s
        open: bye
        closed: bye
      bye: { type: hangup }
)";

std::string with_holidays(std::string_view value) {
  std::string text = kHoursByCalendar;
  text.replace(text.find("%s"), 2, value);
  return text;
}

TEST(IvrFlowLoader, HolidaysMayNameASharedCalendar) {
  const std::vector<std::string> france{"2026-12-25", "2027-01-01", "2027-05-01"};
  LoadOptions options;
  options.calendar = [&](std::string_view name) { return name == "france" ? &france : nullptr; };
  options.calendar_names = {"france"};
  ConfigErrors errors;
  auto set = load_flows_from_text(with_holidays("france"), "flows.yaml", options, errors);
  ASSERT_TRUE(set.has_value()) << errors.to_string();
  const Flow& flow = *set->find("f");
  const auto* hours = std::get_if<HoursNode>(&flow.nodes[flow.find("hours")].body);
  ASSERT_NE(hours, nullptr);
  EXPECT_EQ(hours->holidays.size(), 3u);

  EXPECT_THAT(one_error(with_holidays("frnace"), options),
              HasSubstr("unknown holiday calendar 'frnace' (did you mean 'france'?)"));
  EXPECT_THAT(one_error(with_holidays("france")),  // no calendars given at all
              HasSubstr("unknown holiday calendar 'france'"));
}

}  // namespace
}  // namespace hotline::cc::ivr
