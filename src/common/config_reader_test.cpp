#include "common/config_reader.hpp"

#include <gtest/gtest.h>

namespace hotline {
namespace {

struct Parsed {
  ConfigErrors errors;
  YAML::Node doc;
};

YAML::Node load(std::string_view text, ConfigErrors& errors) {
  auto doc = parse_yaml(text, "hotline.yaml", errors);
  EXPECT_TRUE(doc.has_value()) << errors.to_string();
  return doc.value_or(YAML::Node());
}

TEST(ConfigReader, UnknownKeyIsAnErrorWithPositionAndHint) {
  ConfigErrors errors;
  auto doc = load("http:\n  listen: 127.0.0.1:8080\n  lisen: x\n", errors);
  auto root = ConfigNode::root(doc, "hotline.yaml", errors);
  root.expect_keys({"http"});
  root.child("http").expect_keys({"listen", "static_dir"});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.all()[0].to_string(),
            "http.lisen: unknown key 'lisen' (did you mean 'listen'?) at hotline.yaml:3:3");
}

TEST(ConfigReader, AbsentSectionsHaveNoEntriesOrItems) {
  ConfigErrors errors;
  auto doc = load("http: {}\n", errors);
  auto root = ConfigNode::root(doc, "hotline.yaml", errors);
  // Absent keys, and keys below absent keys (yaml-cpp's invalid nodes).
  EXPECT_TRUE(root.child("queues").entries().empty());
  EXPECT_TRUE(root.child("queues").child("sales").entries().empty());
  EXPECT_TRUE(root.child("queues").child("sales").items().empty());
  EXPECT_TRUE(errors.empty()) << errors.to_string();
}

TEST(ConfigReader, UnknownEnumSuggestsClosestChoice) {
  enum class S { kRoundRobin, kRingAll };
  ConfigErrors errors;
  auto doc = load("queues:\n  support:\n    strategy: roundrobbin\n", errors);
  auto root = ConfigNode::root(doc, "hotline.yaml", errors);
  S s = S::kRingAll;
  root.child("queues").child("support").read_enum(
      "strategy", s, "strategy", {{"round-robin", S::kRoundRobin}, {"ring-all", S::kRingAll}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.all()[0].to_string(),
            "queues.support.strategy: unknown strategy 'roundrobbin' (did you mean "
            "'round-robin'?) at hotline.yaml:3:15");
  EXPECT_EQ(s, S::kRingAll) << "a bad value must not overwrite the default";
}

TEST(ConfigReader, WrongTypesAreReported) {
  ConfigErrors errors;
  auto doc = load("a: [1, 2]\nb: twelve\nc: 70000\nd: maybe\n", errors);
  auto root = ConfigNode::root(doc, "f.yaml", errors);
  std::string a;
  std::int64_t b = 7, c = 7;
  bool d = true;
  EXPECT_FALSE(root.read_string("a", a));
  EXPECT_FALSE(root.read_int("b", b, 0, 100));
  EXPECT_FALSE(root.read_int("c", c, 0, 65535));
  EXPECT_FALSE(root.read_bool("d", d));
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors.all()[0].path, "a");
  EXPECT_EQ(errors.all()[1].message, "expected a whole number, got 'twelve'");
  EXPECT_EQ(errors.all()[2].message, "70000 is out of range (allowed 0 to 65535)");
  EXPECT_EQ(errors.all()[3].line, 4);
  EXPECT_EQ(b, 7);
  EXPECT_TRUE(d);
}

TEST(ConfigReader, AbsentKeysKeepDefaults) {
  ConfigErrors errors;
  auto doc = load("x: 1\n", errors);
  auto root = ConfigNode::root(doc, "f.yaml", errors);
  std::string s = "default";
  EXPECT_FALSE(root.read_string("missing", s));
  EXPECT_FALSE(root.child("nested").read_string("deeper", s));
  EXPECT_EQ(s, "default");
  EXPECT_TRUE(errors.empty());
}

TEST(ConfigReader, SyntaxErrorHasPosition) {
  ConfigErrors errors;
  auto doc = parse_yaml("a: 1\nb: [unclosed\n", "bad.yaml", errors);
  EXPECT_FALSE(doc.has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.all()[0].file, "bad.yaml");
  EXPECT_GT(errors.all()[0].line, 0);
  EXPECT_NE(errors.all()[0].message.find("invalid YAML"), std::string::npos);
}

TEST(ConfigReader, Durations) {
  EXPECT_EQ(parse_duration("250ms").value(), std::chrono::milliseconds(250));
  EXPECT_EQ(parse_duration("30s").value(), std::chrono::seconds(30));
  EXPECT_EQ(parse_duration("1.5s").value(), std::chrono::milliseconds(1500));
  EXPECT_EQ(parse_duration("5m").value(), std::chrono::minutes(5));
  EXPECT_EQ(parse_duration("2h").value(), std::chrono::hours(2));
  EXPECT_FALSE(parse_duration("30").has_value());
  EXPECT_FALSE(parse_duration("s").has_value());
  EXPECT_FALSE(parse_duration("10 parsecs").has_value());
  EXPECT_FALSE(parse_duration("99999999999999999h").has_value());
}

TEST(ConfigReader, Sizes) {
  EXPECT_EQ(parse_size("512B").value(), 512u);
  EXPECT_EQ(parse_size("8KiB").value(), 8192u);
  EXPECT_EQ(parse_size("1MiB").value(), 1048576u);
  EXPECT_EQ(parse_size("4096").value(), 4096u);
  EXPECT_FALSE(parse_size("lots").has_value());
  EXPECT_FALSE(parse_size("99999999999999999999GiB").has_value());
}

TEST(ConfigReader, HostPort) {
  auto a = parse_host_port("127.0.0.1:8080");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
  auto b = parse_host_port("[::1]:5060");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->to_string(), "[::1]:5060");
  EXPECT_FALSE(parse_host_port("127.0.0.1").has_value());
  EXPECT_FALSE(parse_host_port("::1:5060").has_value());
  EXPECT_FALSE(parse_host_port("host:99999").has_value());
  EXPECT_FALSE(parse_host_port(":80").has_value());
}

TEST(ConfigReader, ClosestMatch) {
  const std::string_view c[] = {"round-robin", "ring-all", "linear"};
  EXPECT_EQ(closest_match("roundrobin", c), "round-robin");
  EXPECT_EQ(closest_match("lineer", c), "linear");
  EXPECT_FALSE(closest_match("banana-split-sundae", c).has_value());
}

}  // namespace
}  // namespace hotline
