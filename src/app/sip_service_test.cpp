// SipService in memory: no sockets, a ManualClock, and a MessageSender that keeps
// what the service sends. Covers the registrar end to end (REGISTER → 401 →
// REGISTER with digest → 200 → contacts_of), digest authentication of an INVITE
// for the call handler, and bans of a source that keeps failing.
#include "app/sip_service.hpp"

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "sip/digest.hpp"

namespace hotline::app {
namespace {

using namespace std::chrono_literals;
using Verdict = sip::AuthResult::Verdict;

class Wire final : public sip::MessageSender {
 public:
  void send(const sip::Peer& to, std::string bytes) override {
    sent.push_back({to, std::move(bytes)});
  }
  struct Sent {
    sip::Peer to;
    std::string bytes;
  };
  std::vector<Sent> sent;
};

sip::Peer phone(std::string address = "192.0.2.10", std::uint16_t port = 5062) {
  return sip::Peer{sip::TransportType::kUdp, {std::move(address), port}, {"127.0.0.1", 5060}, 0};
}

sip::Message parse(std::string text) {
  auto m = sip::parse_message(std::move(text));
  EXPECT_TRUE(m.has_value()) << m.error().reason;
  return std::move(*m);
}

class SipServiceTest : public ::testing::Test {
 protected:
  SipServiceTest() {
    config.qualify_interval = 0s;
    config.auth.max_failures_per_source = 3;
    config.auth.max_failures_per_user = 100;
    config.auth.ban_response = BanResponse::kDrop;
    service.emplace(
        loop, clock, config,
        std::vector<Extension>{{"1001", "pw1001", "Agent 1"}, {"1002", "pw1002", "Agent 2"}},
        "default", metrics, nullptr, &wire);
  }

  static std::string request(std::string_view method, std::string_view user, const sip::Peer& from,
                             std::string_view call_id, int cseq,
                             std::string_view authorization = {}) {
    const std::string contact = fmt::format("sip:{}@{}", user, from.remote.to_string());
    return fmt::format(
        "{0} sip:{1}@127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP {2};branch=z9hG4bK-{3}-{4};rport\r\n"
        "From: <sip:{1}@127.0.0.1>;tag=t{3}\r\nTo: <sip:{1}@127.0.0.1>\r\n"
        "Call-ID: {3}\r\nCSeq: {4} {0}\r\nContact: <{5}>\r\nMax-Forwards: 70\r\n"
        "Expires: 600\r\n{6}Content-Length: 0\r\n\r\n",
        method, user, from.remote.to_string(), call_id, cseq, contact,
        authorization.empty() ? std::string()
                              : fmt::format("Authorization: {}\r\n", authorization));
  }

  // Feeds a request in and returns what the service answered (nothing: nullopt).
  std::optional<sip::Message> exchange(std::string text, const sip::Peer& from) {
    wire.sent.clear();
    service->receive(parse(std::move(text)), from);
    if (wire.sent.empty()) return std::nullopt;
    EXPECT_EQ(wire.sent.size(), 1u);
    EXPECT_EQ(wire.sent.back().to.remote, from.remote);
    return parse(wire.sent.back().bytes);
  }

  // The Authorization value answering `challenge` (a 401's WWW-Authenticate).
  static std::string answer(std::string_view challenge, std::string_view user,
                            std::string_view password, std::string_view method) {
    auto c = sip::parse_digest_challenge(challenge);
    EXPECT_TRUE(c.has_value());
    auto a = sip::digest_authorization(*c, user, password, method,
                                       fmt::format("sip:{}@127.0.0.1", user), "cn0", 1);
    EXPECT_TRUE(a.has_value());
    return *a;
  }

  // REGISTER → 401 → REGISTER with credentials; returns the final status.
  int register_phone(std::string_view user, std::string_view password, const sip::Peer& from,
                     std::string_view call_id) {
    auto challenge = exchange(request("REGISTER", user, from, call_id, 1), from);
    if (!challenge) return 0;
    EXPECT_EQ(challenge->status_code(), 401);
    auto www = challenge->header("WWW-Authenticate");
    if (!www) return challenge->status_code();
    auto done = exchange(
        request("REGISTER", user, from, call_id, 2, answer(*www, user, password, "REGISTER")),
        from);
    return done ? done->status_code() : 0;
  }

  std::uint64_t counter(std::string_view name, const Labels& labels = {}) {
    return metrics.counter(name, "", labels).value();
  }

  boost::asio::io_context loop;  // never run: nothing here needs its timers
  ManualClock clock;
  SipConfig config;
  MetricsRegistry metrics;
  Wire wire;
  std::optional<SipService> service;
};

TEST_F(SipServiceTest, RegisterWithDigestBindsTheContact) {
  EXPECT_TRUE(service->contacts_of("1001").empty());
  auto challenge = exchange(request("REGISTER", "1001", phone(), "reg-1", 1), phone());
  ASSERT_TRUE(challenge.has_value());
  ASSERT_EQ(challenge->status_code(), 401);
  auto www = challenge->header("WWW-Authenticate");
  ASSERT_TRUE(www.has_value());
  EXPECT_NE(www->find("realm=\"hotline\""), std::string_view::npos);

  auto ok = exchange(
      request("REGISTER", "1001", phone(), "reg-1", 2, answer(*www, "1001", "pw1001", "REGISTER")),
      phone());
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status_code(), 200);
  ASSERT_EQ(ok->contacts().entries.size(), 1u);
  EXPECT_EQ(ok->contacts().entries[0].uri.text, "sip:1001@192.0.2.10:5062");

  auto bound = service->contacts_of("1001");
  ASSERT_EQ(bound.size(), 1u);
  EXPECT_EQ(bound[0].contact, "sip:1001@192.0.2.10:5062");
  EXPECT_EQ(bound[0].source.remote, phone().remote);
  EXPECT_EQ(bound[0].expires_at, clock.now() + 600s);
  EXPECT_TRUE(service->contacts_of("1002").empty());
  EXPECT_EQ(service->registrations()["registrations"].size(), 1u);
  EXPECT_EQ(counter("hotline_sip_register_total", {{"result", "ok"}}), 1u);
  EXPECT_EQ(counter("hotline_sip_register_total", {{"result", "challenged"}}), 1u);

  // A retransmission of the authenticated REGISTER is absorbed by its transaction:
  // the same 200 again, not a nonce-count replay.
  auto again = exchange(
      request("REGISTER", "1001", phone(), "reg-1", 2, answer(*www, "1001", "pw1001", "REGISTER")),
      phone());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status_code(), 200);
  EXPECT_EQ(counter("hotline_sip_auth_failures_total"), 0u);

  // A second phone of the same user adds a contact.
  EXPECT_EQ(register_phone("1001", "pw1001", phone("192.0.2.11"), "reg-2"), 200);
  EXPECT_EQ(service->contacts_of("1001").size(), 2u);
}

TEST_F(SipServiceTest, WrongPasswordAndUnknownUserAreRefusedAlike) {
  EXPECT_EQ(register_phone("1001", "nope", phone(), "w-1"), 403);
  EXPECT_EQ(register_phone("4242", "pw1001", phone("192.0.2.20"), "w-2"), 403);
  EXPECT_TRUE(service->contacts_of("1001").empty());
  EXPECT_TRUE(service->contacts_of("4242").empty());
  EXPECT_EQ(counter("hotline_sip_auth_failures_total"), 2u);
}

TEST_F(SipServiceTest, AuthenticatesAnInviteFromAnExtension) {
  auto invite = [&](std::string_view authorization) {
    return parse(request("INVITE", "1002", phone(), "call-1", 1, authorization));
  };
  sip::AuthResult first = service->authenticate(invite({}), phone());
  ASSERT_EQ(first.verdict, Verdict::kChallenge);
  ASSERT_EQ(first.challenges.size(), 1u);

  sip::AuthResult ok = service->authenticate(
      invite(answer(first.challenges[0], "1002", "pw1002", "INVITE")), phone());
  EXPECT_EQ(ok.verdict, Verdict::kAccepted) << ok.reason;
  EXPECT_EQ(ok.user, "1002");

  // Credentials computed for another method do not authenticate an INVITE.
  sip::AuthResult second = service->authenticate(invite({}), phone());
  sip::AuthResult wrong = service->authenticate(
      invite(answer(second.challenges[0], "1002", "pw1002", "REGISTER")), phone());
  EXPECT_EQ(wrong.verdict, Verdict::kForbidden);
  EXPECT_EQ(counter("hotline_sip_auth_failures_total"), 1u);
}

TEST_F(SipServiceTest, ASourceThatKeepsFailingIsBannedAndIgnored) {
  const sip::Peer scanner = phone("198.51.100.7", 5070);
  EXPECT_EQ(register_phone("1001", "guess1", scanner, "s-1"), 403);
  EXPECT_EQ(register_phone("1001", "guess2", scanner, "s-2"), 403);
  // The third failure starts the ban (answered 403), then silence.
  EXPECT_EQ(register_phone("1001", "guess3", scanner, "s-3"), 403);
  EXPECT_EQ(counter("hotline_sip_auth_bans_total", {{"kind", "source"}}), 1u);
  EXPECT_FALSE(exchange(request("REGISTER", "1001", scanner, "s-4", 1), scanner).has_value());
  EXPECT_FALSE(exchange(request("OPTIONS", "1001", scanner, "s-5", 1), scanner).has_value());
  EXPECT_EQ(counter("hotline_sip_banned_requests_total"), 2u);

  // Others are not affected, and the user itself is not banned.
  EXPECT_EQ(register_phone("1001", "pw1001", phone(), "ok-1"), 200);
  EXPECT_EQ(service->contacts_of("1001").size(), 1u);

  // The ban ends after ban_time.
  clock.advance(config.auth.ban_time + 1s);
  auto after = exchange(request("REGISTER", "1001", scanner, "s-6", 1), scanner);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->status_code(), 401);
}

}  // namespace
}  // namespace hotline::app
