#include "app/config.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace hotline::app {
namespace {

std::string errors_of(std::string_view yaml) {
  const auto loaded = load_config_text(yaml, "hotline.yaml");
  EXPECT_FALSE(loaded.config.has_value());
  return loaded.errors.to_string();
}

TEST(Config, EmbeddedDemoConfigurationIsValid) {
  const auto loaded = load_embedded_config();
  ASSERT_TRUE(loaded.config.has_value()) << loaded.errors.to_string();
  const Config& c = *loaded.config;
  EXPECT_EQ(c.http.listen.to_string(), "127.0.0.1:8080");
  EXPECT_EQ(c.storage.url, "sqlite:var/hotline.db");
  EXPECT_EQ(c.server.tenant, "default");
  ASSERT_EQ(c.sip.listen.size(), 2u);
  EXPECT_EQ(c.sip.listen[0].address.to_string(), "127.0.0.1:5060");
}

TEST(Config, EmbeddedTextIsTheExampleFile) {
  EXPECT_EQ(embedded_config_text(),
            testing::read_file(testing::source_dir() / "config" / "hotline.example.yaml"));
}

TEST(Config, EmptyDocumentGivesDefaults) {
  const auto loaded = load_config_text("", "empty.yaml");
  ASSERT_TRUE(loaded.config.has_value()) << loaded.errors.to_string();
  EXPECT_EQ(loaded.config->http.max_body_bytes, 1024u * 1024u);
}

TEST(Config, UnknownKeysAreErrors) {
  EXPECT_EQ(errors_of("htpp:\n  listen: 127.0.0.1:1\n"),
            "htpp: unknown key 'htpp' (did you mean 'http'?) at hotline.yaml:1:1\n");
  EXPECT_EQ(errors_of("http:\n  listen: 127.0.0.1:1\n  max_conections: 5\n"),
            "http.max_conections: unknown key 'max_conections' (did you mean "
            "'max_connections'?) at hotline.yaml:3:3\n");
}

TEST(Config, WrongTypesAndValues) {
  const std::string errs = errors_of(
      "server:\n"
      "  tenant: Acme Corp\n"
      "  worker_threads: many\n"
      "log:\n"
      "  level: verbose\n"
      "http:\n"
      "  listen: 8080\n"
      "  request_timeout: 30\n"
      "  max_body_bytes: huge\n"
      "storage:\n"
      "  url: mysql://x\n");
  EXPECT_NE(errs.find("server.tenant: 'Acme Corp' is not a tenant id"), std::string::npos) << errs;
  EXPECT_NE(
      errs.find("server.worker_threads: expected a whole number, got 'many' at hotline.yaml:3:19"),
      std::string::npos)
      << errs;
  EXPECT_NE(errs.find("log.level: unknown log level 'verbose'"), std::string::npos) << errs;
  EXPECT_NE(errs.find("http.listen: '8080' is not an address"), std::string::npos) << errs;
  EXPECT_NE(errs.find("http.request_timeout: '30' is not a duration"), std::string::npos) << errs;
  EXPECT_NE(errs.find("http.max_body_bytes: 'huge' is not a size"), std::string::npos) << errs;
  EXPECT_NE(errs.find("storage.url: 'mysql://x' is not a storage URL"), std::string::npos) << errs;
}

TEST(Config, SectionMustBeAMapping) {
  EXPECT_NE(errors_of("http: [1, 2]\n").find("http: expected a mapping"), std::string::npos);
  EXPECT_NE(errors_of("- a\n- b\n").find("must be a mapping of sections"), std::string::npos);
}

TEST(Config, BrokenYamlIsReportedWithPosition) {
  EXPECT_NE(errors_of("http:\n  listen: [127.0.0.1:8080\n").find("invalid YAML"),
            std::string::npos);
}

TEST(Config, SipListeners) {
  const auto ok = load_config_text(
      "sip:\n  listen:\n    - { transport: tls, address: '[::1]:5061' }\n", "f.yaml");
  ASSERT_TRUE(ok.config) << ok.errors.to_string();
  ASSERT_EQ(ok.config->sip.listen.size(), 1u);
  EXPECT_EQ(ok.config->sip.listen[0].transport, SipTransport::kTls);
  EXPECT_EQ(ok.config->sip.listen[0].address.host, "::1");

  const std::string errs = errors_of(
      "sip:\n  listen:\n    - { transport: sctp, address: 127.0.0.1:5060 }\n"
      "    - { transport: udp }\n"
      "    - { transport: udp, address: 127.0.0.1:5060 }\n"
      "    - { transport: udp, address: 127.0.0.1:5060 }\n");
  EXPECT_NE(errs.find("sip.listen[0].transport: unknown transport 'sctp'"), std::string::npos)
      << errs;
  EXPECT_NE(errs.find("sip.listen[1]: missing 'address'"), std::string::npos) << errs;
  EXPECT_NE(errs.find("sip.listen[3]: udp 127.0.0.1:5060 is listed twice"), std::string::npos)
      << errs;
}

TEST(Config, DemoExtensionsAndSipDefaults) {
  const auto loaded = load_embedded_config();
  ASSERT_TRUE(loaded.config.has_value()) << loaded.errors.to_string();
  const Config& c = *loaded.config;
  ASSERT_EQ(c.extensions.size(), 10u);
  EXPECT_EQ(c.extensions.front().user, "1001");
  EXPECT_EQ(c.extensions.front().password, "demo-1001");
  EXPECT_EQ(c.extensions.back().user, "1010");
  EXPECT_EQ(c.sip.t1, std::chrono::milliseconds(500));
  EXPECT_EQ(c.sip.server_header, "");
  EXPECT_EQ(c.sip.auth.realm, "hotline");
  EXPECT_EQ(c.sip.auth.ban_response, BanResponse::kDrop);
  EXPECT_EQ(c.sip.registrar.min_expires, std::chrono::seconds(60));
}

TEST(Config, SipTimersRegistrarAndAuth) {
  const auto ok = load_config_text(
      "sip:\n  t1: 100ms\n  t2: 2s\n  t4: 3s\n  qualify_interval: 0s\n"
      "  registrar: { min_expires: 30s, max_expires: 2h, max_contacts_per_user: 3 }\n"
      "  auth: { realm: acme, algorithms: [sha-256, md5], ban_response: forbidden }\n",
      "f.yaml");
  ASSERT_TRUE(ok.config) << ok.errors.to_string();
  const SipConfig& s = ok.config->sip;
  EXPECT_EQ(s.t1, std::chrono::milliseconds(100));
  EXPECT_EQ(s.t4, std::chrono::seconds(3));
  EXPECT_EQ(s.qualify_interval, Duration::zero());
  EXPECT_EQ(s.registrar.max_expires, std::chrono::hours(2));
  EXPECT_EQ(s.registrar.max_contacts_per_user, 3);
  EXPECT_EQ(s.auth.algorithms, (std::vector<DigestAlgorithmName>{DigestAlgorithmName::kSha256,
                                                                 DigestAlgorithmName::kMd5}));
  EXPECT_EQ(s.auth.ban_response, BanResponse::kForbidden);

  const std::string errs = errors_of(
      "sip:\n  t1: 5s\n  t2: 1s\n"
      "  registrar: { min_expires: 2h, max_expires: 1h }\n"
      "  auth: { algorithms: [md4], ban_response: maybe }\n");
  EXPECT_NE(errs.find("sip: t2 must not be shorter than t1"), std::string::npos) << errs;
  EXPECT_NE(errs.find("sip.registrar: min_expires must not be longer than max_expires"),
            std::string::npos)
      << errs;
  EXPECT_NE(errs.find("sip.auth.algorithms: unknown digest algorithm 'md4'"), std::string::npos)
      << errs;
  EXPECT_NE(errs.find("sip.auth.ban_response: unknown ban response 'maybe'"), std::string::npos)
      << errs;
}

TEST(Config, Extensions) {
  const std::string errs = errors_of(
      "extensions:\n"
      "  - { user: '1001', password: a }\n"
      "  - { user: 'bad user', password: b }\n"
      "  - { user: '1001', password: c }\n"
      "  - { user: '1002' }\n"
      "  - { user: '1003', password: d, pin: 1 }\n");
  EXPECT_NE(errs.find("extensions[1].user: 'bad user' is not an extension user"), std::string::npos)
      << errs;
  EXPECT_NE(errs.find("extensions[2]: extension '1001' is listed twice"), std::string::npos)
      << errs;
  EXPECT_NE(errs.find("extensions[3]: missing 'password'"), std::string::npos) << errs;
  EXPECT_NE(errs.find("extensions[4].pin: unknown key 'pin'"), std::string::npos) << errs;

  Config a;
  Config b = a;
  b.extensions.push_back({"1001", "x", ""});
  EXPECT_EQ(plan_reload(a, b).applied, std::vector<std::string>{"extensions"});
}

TEST(Config, MissingFileIsAnError) {
  const auto loaded = load_config_file("/nonexistent/hotline.yaml");
  EXPECT_FALSE(loaded.config);
  EXPECT_EQ(loaded.errors.to_string(),
            "cannot read the configuration file at /nonexistent/hotline.yaml\n");
}

TEST(Config, ReloadPlanSeparatesLiveAndRestartSettings) {
  Config a;
  Config b = a;
  b.log.level = log::Level::kDebug;
  b.http.static_dir = "other";
  b.http.listen.port = 9090;
  b.storage.url = "sqlite:other.db";
  const ReloadPlan plan = plan_reload(a, b);
  EXPECT_EQ(plan.applied, (std::vector<std::string>{"log.level", "http.static_dir"}));
  EXPECT_EQ(plan.needs_restart, (std::vector<std::string>{"http.listen", "storage.url"}));
  const ReloadPlan none = plan_reload(a, a);
  EXPECT_TRUE(none.applied.empty());
  EXPECT_TRUE(none.needs_restart.empty());
}

TEST(Config, ReloadPlanAppliesCallRoutingAndKeepsMediaAndQueues) {
  const auto a = load_config_text(
      "dialplan:\n  - { name: blocked, number: \"777\", to: { reject: 403 } }\n"
      "media: { threads: 1 }\n",
      "hotline.yaml");
  ASSERT_TRUE(a.config.has_value()) << a.errors.to_string();
  const auto b = load_config_text(
      "dialplan:\n  - { name: blocked, number: \"777\", to: { reject: 404 } }\n"
      "feature_codes: { agent_login: \"*40\" }\n"
      "media: { threads: 2 }\n",
      "hotline.yaml");
  ASSERT_TRUE(b.config.has_value()) << b.errors.to_string();
  const ReloadPlan plan = plan_reload(*a.config, *b.config);
  EXPECT_EQ(plan.applied, (std::vector<std::string>{"dialplan", "feature_codes"}));
  EXPECT_EQ(plan.needs_restart, (std::vector<std::string>{"media"}));
  const ReloadPlan same = plan_reload(*a.config, *a.config);
  EXPECT_TRUE(same.applied.empty());
  EXPECT_TRUE(same.needs_restart.empty());
}

}  // namespace
}  // namespace hotline::app
