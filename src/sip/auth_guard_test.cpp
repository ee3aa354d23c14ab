// AuthGuard on virtual time: the challenge, a good answer, wrong and unknown users
// (indistinguishable), stale nonces, replay, bans per source and per user.
#include "sip/auth_guard.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace hotline::sip {
namespace {

using namespace std::chrono_literals;
using Verdict = AuthResult::Verdict;

Message reg(std::string_view authorization = {}) {
  std::string text = fmt::format(
      "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK1\r\n"
      "From: <sip:1001@127.0.0.1>;tag=a\r\nTo: <sip:1001@127.0.0.1>\r\n"
      "Call-ID: c1\r\nCSeq: 1 REGISTER\r\n{}Content-Length: 0\r\n\r\n",
      authorization.empty() ? std::string() : fmt::format("Authorization: {}\r\n", authorization));
  auto m = parse_message(std::move(text));
  EXPECT_TRUE(m.has_value()) << m.error().reason;
  return std::move(*m);
}

Peer from(std::string address = "192.0.2.10") {
  return Peer{TransportType::kUdp, {std::move(address), 5062}, {"127.0.0.1", 5060}, 0};
}

// Every test runs twice: credentials from the lookup (a hash of the password per
// request) and from set_users() (HA1 computed once): the answers must not differ.
class AuthGuardTest : public ::testing::TestWithParam<bool> {
 protected:
  AuthGuardTest() {
    AuthOptions o;
    o.realm = "hotline";
    o.algorithms = {DigestAlgorithm::kSha256, DigestAlgorithm::kMd5};
    o.nonce_lifetime = 60s;
    o.per_source = {5, 60s, 600s, 1000};
    o.per_user = {3, 60s, 300s, 1000};
    guard.emplace(clock, o, "secret", [](std::string_view u) -> std::optional<std::string> {
      if (u == "1001") return "pw1001";
      return std::nullopt;
    });
    if (GetParam()) guard->set_users({{"1001", "pw1001"}});
  }

  // Asks for a challenge and answers it.
  std::string answer(std::string user, std::string password, std::uint32_t nc = 1,
                     std::size_t which = 1) {
    auto c = guard->check(reg(), from());
    EXPECT_EQ(c.verdict, Verdict::kChallenge);
    auto ch = parse_digest_challenge(c.challenges.at(which));
    EXPECT_TRUE(ch.has_value());
    last_challenge = *ch;
    return *digest_authorization(*ch, user, password, "REGISTER", "sip:127.0.0.1", "cn", nc);
  }

  ManualClock clock;
  std::optional<AuthGuard> guard;
  DigestChallenge last_challenge;
};

TEST_P(AuthGuardTest, ChallengesThenAcceptsTheRightPassword) {
  auto c = guard->check(reg(), from());
  ASSERT_EQ(c.verdict, Verdict::kChallenge);
  ASSERT_EQ(c.challenges.size(), 2u);
  EXPECT_NE(c.challenges[0].find("algorithm=SHA-256"), std::string::npos);
  EXPECT_NE(c.challenges[1].find("algorithm=MD5"), std::string::npos);
  EXPECT_FALSE(c.failure);
  for (std::size_t which : {0u, 1u}) {
    auto r = guard->check(reg(answer("1001", "pw1001", 1, which)), from());
    EXPECT_EQ(r.verdict, Verdict::kAccepted) << r.reason;
    EXPECT_EQ(r.user, "1001");
  }
}

TEST_P(AuthGuardTest, UnknownUserAndWrongPasswordLookTheSame) {
  auto wrong = guard->check(reg(answer("1001", "nope")), from());
  auto unknown = guard->check(reg(answer("9999", "pw1001")), from());
  EXPECT_EQ(wrong.verdict, Verdict::kForbidden);
  EXPECT_EQ(unknown.verdict, Verdict::kForbidden);
  EXPECT_EQ(wrong.reason, unknown.reason);
  EXPECT_TRUE(wrong.failure && unknown.failure);
  // The challenge itself does not depend on who asks.
  auto a = guard->check(reg(), from("192.0.2.20"));
  auto b = guard->check(reg(), from("192.0.2.21"));
  ASSERT_EQ(a.challenges.size(), b.challenges.size());
  EXPECT_EQ(a.challenges[0].size(), b.challenges[0].size());
}

TEST_P(AuthGuardTest, StaleNonceIsRechallengedAndReplayRefused) {
  const std::string creds = answer("1001", "pw1001");
  clock.advance(61s);
  auto r = guard->check(reg(creds), from());
  ASSERT_EQ(r.verdict, Verdict::kChallenge);
  EXPECT_NE(r.challenges[0].find("stale=true"), std::string::npos);
  EXPECT_FALSE(r.failure);

  const std::string fresh = answer("1001", "pw1001");
  EXPECT_EQ(guard->check(reg(fresh), from()).verdict, Verdict::kAccepted);
  auto replay = guard->check(reg(fresh), from());
  EXPECT_EQ(replay.verdict, Verdict::kForbidden);
  EXPECT_EQ(replay.reason, "nonce count replayed");
}

TEST_P(AuthGuardTest, DigestUriMustNameTheRequestTarget) {
  auto c = guard->check(reg(), from());
  auto ch = *parse_digest_challenge(c.challenges.at(1));
  // With the default port spelled out: the same target.
  auto ok = digest_authorization(ch, "1001", "pw1001", "REGISTER", "sip:127.0.0.1:5060", "cn", 1);
  EXPECT_EQ(guard->check(reg(*ok), from()).verdict, Verdict::kAccepted);
  // Another host: refused even with the right password.
  auto other = digest_authorization(ch, "1001", "pw1001", "REGISTER", "sip:192.0.2.99", "cn", 2);
  auto r = guard->check(reg(*other), from());
  EXPECT_EQ(r.verdict, Verdict::kForbidden);
  EXPECT_EQ(r.reason, "digest uri differs from the Request-URI");
}

TEST_P(AuthGuardTest, OtherSchemesAndRealmsAreChallenged) {
  EXPECT_EQ(guard->check(reg("NoOneKnowsThisScheme opaque-data=here"), from()).verdict,
            Verdict::kChallenge);
  EXPECT_EQ(guard
                ->check(reg("Digest username=\"1001\",realm=\"other\",nonce=\"x\",uri=\"sip:"
                            "127.0.0.1\",response=\"00\""),
                        from())
                .verdict,
            Verdict::kChallenge);
}

TEST_P(AuthGuardTest, UserIsBannedAfterTheLimitThenFreedAfterBanTime) {
  EXPECT_EQ(guard->check(reg(answer("1001", "x")), from("192.0.2.1")).verdict, Verdict::kForbidden);
  EXPECT_EQ(guard->check(reg(answer("1001", "x")), from("192.0.2.2")).verdict, Verdict::kForbidden);
  auto third = guard->check(reg(answer("1001", "x")), from("192.0.2.3"));
  EXPECT_EQ(third.verdict, Verdict::kBanned);
  EXPECT_TRUE(third.user_ban_started);
  EXPECT_TRUE(guard->is_user_banned("1001"));
  // Even the right password is refused (and not verified) while banned.
  auto right = guard->check(reg(answer("1001", "pw1001")), from("192.0.2.4"));
  EXPECT_EQ(right.verdict, Verdict::kBanned);
  EXPECT_FALSE(right.failure);
  clock.advance(301s);
  EXPECT_FALSE(guard->is_user_banned("1001"));
  EXPECT_EQ(guard->check(reg(answer("1001", "pw1001")), from("192.0.2.4")).verdict,
            Verdict::kAccepted);
}

TEST_P(AuthGuardTest, SourceIsBannedAcrossUsersAndWindowsReset) {
  // Failures spread beyond the window do not add up.
  for (int i = 0; i < 4; ++i) {
    guard->check(reg(answer(fmt::format("u{}", i), "x")), from());
  }
  clock.advance(61s);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(guard->check(reg(answer(fmt::format("v{}", i), "x")), from()).verdict,
              Verdict::kForbidden);
  }
  auto fifth = guard->check(reg(answer("w", "x")), from());
  EXPECT_EQ(fifth.verdict, Verdict::kBanned);
  EXPECT_TRUE(fifth.source_ban_started);
  EXPECT_TRUE(guard->is_source_banned("192.0.2.10"));
  EXPECT_EQ(guard->check(reg(), from()).verdict, Verdict::kBanned);
  EXPECT_FALSE(guard->is_source_banned("192.0.2.11"));
  clock.advance(601s);
  EXPECT_EQ(guard->check(reg(), from()).verdict, Verdict::kChallenge);
}

INSTANTIATE_TEST_SUITE_P(Credentials, AuthGuardTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Ha1" : "Lookup";
                         });

TEST(FailureLimiter, TracksAtMostMaxTrackedKeys) {
  ManualClock clock;
  FailureLimiter l(clock, {2, 10s, 20s, 3});
  for (int i = 0; i < 10; ++i) l.record(fmt::format("k{}", i));
  EXPECT_LE(l.tracked(), 3u);
  clock.advance(11s);
  l.record("fresh");
  EXPECT_EQ(l.tracked(), 1u);
  EXPECT_TRUE(l.record("fresh"));
  EXPECT_EQ(l.banned_count(), 1u);
}

}  // namespace
}  // namespace hotline::sip
