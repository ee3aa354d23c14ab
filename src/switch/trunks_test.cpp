#include "switch/trunks.hpp"

#include <gtest/gtest.h>

#include "switch/feature_codes.hpp"

namespace hotline::sw {
namespace {

struct Loaded {
  TrunkTable table;
  ConfigErrors errors;
};

Loaded load(const std::string& text) {
  Loaded out;
  auto doc = parse_yaml(text, "t.yaml", out.errors);
  if (!doc) return out;
  out.table = read_trunks(ConfigNode::root(*doc, "t.yaml", out.errors).child("trunks"), {});
  return out;
}

TEST(Network, MatchesHostsAndBlocksInBothFamilies) {
  auto host = Network::parse("203.0.113.7");
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->contains("203.0.113.7"));
  EXPECT_FALSE(host->contains("203.0.113.8"));
  auto block = Network::parse("10.0.0.0/8");
  ASSERT_TRUE(block);
  EXPECT_TRUE(block->contains("10.255.1.2"));
  EXPECT_FALSE(block->contains("11.0.0.1"));
  EXPECT_FALSE(block->contains("::1"));
  auto odd = Network::parse("192.168.1.64/27");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->contains("192.168.1.95"));
  EXPECT_FALSE(odd->contains("192.168.1.96"));
  auto v6 = Network::parse("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains("2001:db8:1::5"));
  EXPECT_TRUE(v6->contains("[2001:db8::1]"));
  EXPECT_FALSE(v6->contains("2001:db9::1"));
  EXPECT_FALSE(v6->contains("not an address"));
  EXPECT_TRUE(Network::parse("0.0.0.0/0")->contains("8.8.8.8"));
  for (const char* bad : {"10.0.0.0/33", "10.0.0/8", "host.example", "::1/129", "1.2.3.4/"}) {
    EXPECT_FALSE(Network::parse(bad)) << bad;
  }
}

constexpr const char* kTrunks = R"(
trunks:
  carrier:
    address: 127.0.0.1:5080
    allow: [127.0.0.1, 198.51.100.0/24]
    username: acct
    password: s3cret
    register: true
    caller_id: { number: "+1 415 555 0100" }
    max_channels: 30
  backup:
    address: 192.0.2.10:5060
    transport: tcp
    inbound: { username: backup-in, password: pw }
    caller_id: { mode: fixed, number: "4155550199" }
  quiet:
    address: 192.0.2.20:5060
    allow: []
    caller_id: { anonymous: true }
)";

TEST(Trunks, InboundCallsAreTiedToTheirTrunk) {
  auto l = load(kTrunks);
  ASSERT_TRUE(l.errors.empty()) << l.errors.to_string();
  ASSERT_NE(l.table.by_source("198.51.100.77"), nullptr);
  EXPECT_EQ(l.table.by_source("198.51.100.77")->name, "carrier");
  EXPECT_EQ(l.table.by_source("203.0.113.1"), nullptr);  // a stranger
  ASSERT_NE(l.table.by_inbound_user("backup-in"), nullptr);
  EXPECT_EQ(l.table.by_inbound_user("backup-in")->name, "backup");
  EXPECT_EQ(l.table.by_inbound_user(""), nullptr);
  EXPECT_EQ(l.table.names(), (std::vector<std::string>{"carrier", "backup", "quiet"}));
  const Trunk& carrier = *l.table.by_name("carrier");
  EXPECT_TRUE(carrier.register_to_carrier);
  EXPECT_EQ(carrier.max_channels, 30);
  EXPECT_EQ(carrier.address.port, 5080);
  EXPECT_EQ(l.table.by_name("backup")->transport, "tcp");
}

TEST(Trunks, CallerIdPresentation) {
  auto l = load(kTrunks);
  ASSERT_TRUE(l.errors.empty()) << l.errors.to_string();
  const Number agent{NumberKind::kShort, "1001"};
  const Number customer{NumberKind::kE164, "+14085550123"};
  const Trunk& carrier = *l.table.by_name("carrier");
  EXPECT_EQ(presented_caller_id(carrier, customer), "+14085550123");  // pass
  EXPECT_EQ(presented_caller_id(carrier, agent), "+14155550100");     // never "1001"
  EXPECT_EQ(presented_caller_id(*l.table.by_name("backup"), customer), "+14155550199");
  EXPECT_EQ(presented_caller_id(*l.table.by_name("quiet"), customer), std::nullopt);
}

TEST(Trunks, MistakesAreNamed) {
  auto l = load(R"(
trunks:
  a: { allow: [10.0.0.0/40] }
  b: { address: 1.2.3.4:5060, username: u }
  c: { address: 1.2.3.4:5060, allow: [1.2.3.4], register: true, transport: sctp }
  d: { address: 1.2.3.4:5060 }
  e: { address: 1.2.3.4:5060, allow: [], caller_id: { mode: fixed } , inbound: { username: x } }
)");
  const std::string all = l.errors.to_string();
  for (const char* expect :
       {"a trunk needs 'address'", "prefix length must be 0..32",
        "outbound credentials need both username and password",
        "registering to the carrier needs username and password", "unknown transport 'sctp'",
        "could be told from a stranger's", "mode fixed needs 'number'",
        "inbound digest needs both username and password"}) {
    EXPECT_NE(all.find(expect), std::string::npos) << expect << "\n in:\n" << all;
  }
}

TEST(FeatureCodes, DefaultsAndReasonDigits) {
  FeatureCodes codes;
  auto m = codes.match("*50");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->feature, Feature::kAgentLogin);
  m = codes.match("*522");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->feature, Feature::kAgentNotReady);
  EXPECT_EQ(m->argument, "2");
  EXPECT_FALSE(codes.match("1001"));
  EXPECT_FALSE(codes.match("*5"));
  EXPECT_FALSE(codes.match("*51*"));
  EXPECT_FALSE(codes.match("*5912345"));  // too long an argument
}

TEST(FeatureCodes, ConfiguredCodesAreChecked) {
  ConfigErrors errors;
  auto doc = parse_yaml("fc: { agent_login: '#10', agent_ready: '*5x', agent_logout: '#1' }\n",
                        "f.yaml", errors);
  ASSERT_TRUE(doc);
  auto codes = read_feature_codes(ConfigNode::root(*doc, "f.yaml", errors).child("fc"));
  const std::string all = errors.to_string();
  EXPECT_NE(all.find("'*5x': a feature code starts with * or #"), std::string::npos) << all;
  EXPECT_NE(all.find("agent_logout (#1) is a prefix of agent_login (#10)"), std::string::npos)
      << all;
}

}  // namespace
}  // namespace hotline::sw
