#include "switch/dialplan.hpp"

#include <gtest/gtest.h>

namespace hotline::sw {
namespace {

struct Loaded {
  DialPlan plan;
  ConfigErrors errors;
};

Loaded load(const std::string& text, DialPlanNames names = {}) {
  Loaded out;
  auto doc = parse_yaml(text, "plan.yaml", out.errors);
  if (!doc) return out;
  auto root = ConfigNode::root(*doc, "plan.yaml", out.errors);
  out.plan = read_dial_plan(root.child("dialplan"), root.child("numbering"), names);
  return out;
}

CallInfo call(const std::string& dialled, const std::string& caller, std::string origin,
              const NumberingPlan& plan = {}) {
  return {*normalize(dialled, plan), *normalize(caller, plan), std::move(origin)};
}

constexpr const char* kPlan = R"(
numbering: { country_code: "1", trunk_prefix: "1", international_prefix: "011" }
dialplan:
  - name: blocked callers
    caller: { any_of: ["+1 900 555 0000", "(212) 555-0199"] }
    to: { reject: 403 }
  - name: demo
    number: "100"
    to: { ivr: demo }
  - name: ads line
    number: "415 555 0100"
    from: trunk
    to: { ivr: demo }
    source: google-ads
  - name: support line
    number: { prefix: "+1415555" }
    from: trunk:carrier
    to: { queue: support }
    source: website
  - name: extensions
    number: { pattern: "10XX" }
    from: extension
    to: extension
  - name: mailboxes
    number: { pattern: "*9810XX" }
    to: { voicemail: main }
  - name: uk
    number: { pattern: "+44." }
    from: extension
    to: { trunk: carrier }
  - name: outbound national
    number: { pattern: "+1NXXNXXXXXX" }
    from: [extension]
    to: { trunk: carrier }
    strip: 2
    prepend: "1"
)";

TEST(DialPlan, FirstMatchingRuleWins) {
  auto l = load(kPlan, {{"demo"}, {"support", "sales"}, {"carrier"}});
  ASSERT_TRUE(l.errors.empty()) << l.errors.to_string();
  const DialPlan& p = l.plan;

  auto r = p.route(call("100", "1001", "extension"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rule->name, "demo");
  EXPECT_EQ(r->target.kind, Target::Kind::kIvr);
  EXPECT_EQ(r->target.name, "demo");

  // The DID as the carrier sends it, in any form, reaches the rule written nationally.
  r = p.route(call("+14155550100", "+14085550123", "trunk:carrier"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rule->name, "ads line");
  EXPECT_EQ(r->rule->source, "google-ads");

  r = p.route(call("+14155550177", "+14085550123", "trunk:carrier"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->target.kind, Target::Kind::kQueue);
  EXPECT_EQ(r->target.name, "support");
  EXPECT_EQ(r->rule->source, "website");
  // Only from that trunk.
  EXPECT_FALSE(p.route(call("+14155550177", "+14085550123", "trunk:other")));

  // An extension range: the target is the dialled number.
  r = p.route(call("1007", "1001", "extension"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->target.kind, Target::Kind::kExtension);
  EXPECT_EQ(r->target.name, "1007");
  EXPECT_FALSE(p.route(call("1007", "+14085550123", "trunk:carrier")));  // not from outside
  EXPECT_FALSE(p.route(call("10071", "1001", "extension")));

  r = p.route(call("*981003", "1001", "extension"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->target.kind, Target::Kind::kVoicemail);
  EXPECT_EQ(r->target.name, "main");
}

TEST(DialPlan, BlockedCallersAreRejectedBeforeAnythingElse) {
  auto l = load(kPlan);
  ASSERT_TRUE(l.errors.empty()) << l.errors.to_string();
  auto r = l.plan.route(call("100", "212-555-0199", "trunk:carrier"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->target.kind, Target::Kind::kReject);
  EXPECT_EQ(r->target.reject_status, 403);
}

TEST(DialPlan, TrunkTargetsRewriteTheNumber) {
  auto l = load(kPlan);
  ASSERT_TRUE(l.errors.empty()) << l.errors.to_string();
  auto r = l.plan.route(call("(408) 555-0123", "1001", "extension"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rule->name, "outbound national");
  EXPECT_EQ(r->number, "14085550123");
  r = l.plan.route(call("011 44 20 7946 0000", "1001", "extension"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rule->name, "uk");
  EXPECT_EQ(r->number, "+442079460000");
  // N excludes 0 and 1 in the area code.
  EXPECT_FALSE(l.plan.route(call("+11085550123", "1001", "extension")));
}

TEST(DialPlan, PatternNotation) {
  auto m = [](const char* pattern) { return NumberMatch{NumberMatch::Kind::kPattern, {pattern}}; };
  EXPECT_TRUE(m("1XXX").matches("1234"));
  EXPECT_FALSE(m("1XXX").matches("123"));
  EXPECT_FALSE(m("1XXX").matches("2234"));
  EXPECT_TRUE(m("Z0").matches("90"));
  EXPECT_FALSE(m("Z0").matches("00"));
  EXPECT_TRUE(m("[1-3,7]5").matches("75"));
  EXPECT_TRUE(m("[1-3,7]5").matches("25"));
  EXPECT_FALSE(m("[1-3,7]5").matches("55"));
  EXPECT_TRUE(m("9.").matches("91"));
  EXPECT_FALSE(m("9.").matches("9"));
  EXPECT_TRUE(m("9!").matches("9"));
  EXPECT_TRUE(m("*5X").matches("*50"));
}

TEST(DialPlan, MistakesAreLoadErrorsWithPositions) {
  auto l = load(R"(
dialplan:
  - number: { pattern: "1X.X" }
    to: { queue: sales }
  - number: "1003"
    to: { queue: sails }
  - number: { prefix: "" }
    to: { ivr: demo }
  - number: "12ab"
    to: extension
  - to: { reject: 200 }
  - number: "100"
  - to: { queue: sales, ivr: demo }
  - from: pstn
    to: voicemail
  - number: "1001"
    to: { queue: sales }
    strip: 1
  - number: "1004"
    to: { queue: sales }
    early_media: true
  - to: { ivr: demo }
  - number: "1002"
    to: extension
)",
                {{"demo"}, {"sales"}, {}});
  const std::string all = l.errors.to_string();
  for (const char* expect :
       {"'.' may only end a pattern", "unknown queue 'sails' (did you mean 'sales'?)",
        "prefix needs a non-empty string", "'12ab' is not a number",
        "reject needs a SIP status 400..699", "a rule needs 'to'", "give exactly one target",
        "from 'pstn': write extension, trunk or trunk:<name>",
        "strip and prepend apply to trunk targets only", "early_media applies to ivr targets only",
        "'rule 11' matches every call, so the 1 rule(s) after it can never match"}) {
    EXPECT_NE(all.find(expect), std::string::npos) << expect << "\n in:\n" << all;
  }
  for (const auto& e : l.errors.all()) EXPECT_GT(e.line, 0) << e.to_string();
}

}  // namespace
}  // namespace hotline::sw
