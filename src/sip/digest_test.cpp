#include "sip/digest.hpp"

#include <gtest/gtest.h>

namespace hotline::sip {
namespace {

using namespace std::chrono_literals;

TEST(Digest, Rfc2617Md5Vector) {
  // RFC 2617 §3.5 (HTTP, but the same arithmetic).
  EXPECT_EQ(digest_response(DigestAlgorithm::kMd5, "Mufasa", "testrealm@host.com", "Circle Of Life",
                            "GET", "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                            "00000001", "0a4f113b"),
            "6629fae49393a05397450978507c4ef1");
}

TEST(Digest, Rfc7616Sha256Vector) {
  // RFC 7616 §3.9.1, the SHA-256 digest RFC 8760 brings to SIP.
  EXPECT_EQ(
      digest_response(DigestAlgorithm::kSha256, "Mufasa", "http-auth@example.org", "Circle of Life",
                      "GET", "/dir/index.html", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                      "00000001", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"),
      "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

TEST(Digest, ParsesHeaders) {
  auto c = parse_digest_challenge(
      "Digest realm=\"pbx.example.com\", nonce=\"abc\", opaque=\"o\", algorithm=SHA-256, "
      "qop=\"auth,auth-int\", stale=TRUE");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->realm, "pbx.example.com");
  EXPECT_EQ(c->algorithm, DigestAlgorithm::kSha256);
  EXPECT_TRUE(c->qop_auth);
  EXPECT_TRUE(c->stale);
  EXPECT_FALSE(parse_digest_challenge("Basic realm=\"x\"").has_value());
  EXPECT_FALSE(
      parse_digest_challenge("Digest realm=\"x\", nonce=\"n\", algorithm=MD5-sess").has_value());
  EXPECT_FALSE(parse_digest_credentials("NoOneKnowsThisScheme opaque-data=here").has_value());
  EXPECT_FALSE(parse_digest_credentials("Digest username=\"a").has_value());
  EXPECT_FALSE(parse_digest_credentials("Digest username").has_value());
}

class DigestServerTest : public ::testing::Test {
 protected:
  ManualClock clock;
  DigestServer server{
      clock, {.realm = "pbx.example.com", .nonce_lifetime = 60s, .max_nonces = 3}, "test-secret"};

  DigestCredentials answer(DigestAlgorithm alg, std::string_view password, std::uint32_t nc,
                           bool stale = false) {
    auto challenge = parse_digest_challenge(server.challenge(alg, stale));
    EXPECT_TRUE(challenge.has_value());
    return reply(*challenge, password, nc);
  }
  DigestCredentials reply(const DigestChallenge& ch, std::string_view password, std::uint32_t nc) {
    auto header =
        digest_authorization(ch, "1001", password, "REGISTER", "sip:pbx.example.com", "c0ffee", nc);
    EXPECT_TRUE(header.has_value());
    auto creds = parse_digest_credentials(*header);
    EXPECT_TRUE(creds.has_value()) << *header;
    return *creds;
  }
};

TEST_F(DigestServerTest, AcceptsTheRightPasswordWithBothAlgorithms) {
  for (DigestAlgorithm alg : {DigestAlgorithm::kMd5, DigestAlgorithm::kSha256}) {
    DigestCredentials creds = answer(alg, "secret1001", 1);
    EXPECT_EQ(creds.algorithm, alg);
    EXPECT_EQ(server.verify(creds, "REGISTER", "secret1001"), DigestServer::Verdict::kOk);
  }
}

TEST_F(DigestServerTest, VerifiesWithAPrecomputedHa1) {
  for (DigestAlgorithm alg : {DigestAlgorithm::kMd5, DigestAlgorithm::kSha256}) {
    const std::string ha1 = digest_ha1(alg, "1001", "pbx.example.com", "secret1001");
    EXPECT_EQ(server.verify_ha1(answer(alg, "secret1001", 1), "REGISTER", ha1),
              DigestServer::Verdict::kOk);
    EXPECT_EQ(server.verify_ha1(answer(alg, "guess", 1), "REGISTER", ha1),
              DigestServer::Verdict::kBadCredentials);
  }
}

TEST_F(DigestServerTest, ForgedNoncesAreUnknown) {
  DigestCredentials creds = answer(DigestAlgorithm::kMd5, "pw", 1);
  ASSERT_EQ(creds.nonce.size(), 32u);
  // The serial of a live nonce with another tag, and a serial never issued.
  DigestCredentials forged = creds;
  forged.nonce[31] = forged.nonce[31] == '0' ? '1' : '0';
  EXPECT_EQ(server.verify(forged, "REGISTER", "pw"), DigestServer::Verdict::kUnknownNonce);
  forged = creds;
  forged.nonce[15] = static_cast<char>(forged.nonce[15] + 1);
  EXPECT_EQ(server.verify(forged, "REGISTER", "pw"), DigestServer::Verdict::kUnknownNonce);
  EXPECT_EQ(server.verify(creds, "REGISTER", "pw"), DigestServer::Verdict::kOk);
}

TEST_F(DigestServerTest, RejectsWrongPasswordMethodOrRealm) {
  DigestCredentials creds = answer(DigestAlgorithm::kMd5, "guess", 1);
  EXPECT_EQ(server.verify(creds, "REGISTER", "secret1001"), DigestServer::Verdict::kBadCredentials);
  DigestCredentials good = answer(DigestAlgorithm::kMd5, "secret1001", 1);
  EXPECT_EQ(server.verify(good, "INVITE", "secret1001"), DigestServer::Verdict::kBadCredentials);
  good.realm = "other";
  EXPECT_EQ(server.verify(good, "REGISTER", "secret1001"), DigestServer::Verdict::kBadCredentials);
}

TEST_F(DigestServerTest, NonceCountMustGrow) {
  auto challenge = parse_digest_challenge(server.challenge(DigestAlgorithm::kMd5));
  ASSERT_TRUE(challenge.has_value());
  DigestCredentials first = reply(*challenge, "pw", 1);
  EXPECT_EQ(server.verify(first, "REGISTER", "pw"), DigestServer::Verdict::kOk);
  EXPECT_EQ(server.verify(first, "REGISTER", "pw"), DigestServer::Verdict::kReplay);
  DigestCredentials second = reply(*challenge, "pw", 2);
  EXPECT_EQ(server.verify(second, "REGISTER", "pw"), DigestServer::Verdict::kOk);
  EXPECT_EQ(server.verify(first, "REGISTER", "pw"), DigestServer::Verdict::kReplay);
}

TEST_F(DigestServerTest, ExpiredNonceIsStaleAndTheNewChallengeSaysSo) {
  DigestCredentials creds = answer(DigestAlgorithm::kSha256, "pw", 1);
  clock.advance(61s);
  EXPECT_EQ(server.verify(creds, "REGISTER", "pw"), DigestServer::Verdict::kStale);
  auto again = parse_digest_challenge(server.challenge(DigestAlgorithm::kSha256, true));
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->stale);
  EXPECT_EQ(server.verify(reply(*again, "pw", 1), "REGISTER", "pw"), DigestServer::Verdict::kOk);
}

TEST_F(DigestServerTest, UnknownAndMalformed) {
  DigestCredentials creds = answer(DigestAlgorithm::kMd5, "pw", 1);
  DigestCredentials forged = creds;
  forged.nonce = "never-issued";
  EXPECT_EQ(server.verify(forged, "REGISTER", "pw"), DigestServer::Verdict::kUnknownNonce);
  DigestCredentials no_qop = creds;
  no_qop.qop.clear();
  EXPECT_EQ(server.verify(no_qop, "REGISTER", "pw"), DigestServer::Verdict::kMalformed);
  DigestCredentials bad_nc = creds;
  bad_nc.nc = "0000001";
  EXPECT_EQ(server.verify(bad_nc, "REGISTER", "pw"), DigestServer::Verdict::kMalformed);
}

TEST_F(DigestServerTest, RemembersABoundedNumberOfNonces) {
  DigestCredentials oldest = answer(DigestAlgorithm::kMd5, "pw", 1);
  for (int i = 0; i < 5; ++i) server.challenge(DigestAlgorithm::kMd5);
  EXPECT_EQ(server.remembered_nonces(), 3u);
  EXPECT_EQ(server.verify(oldest, "REGISTER", "pw"), DigestServer::Verdict::kUnknownNonce);
  clock.advance(121s);
  server.challenge(DigestAlgorithm::kMd5);
  EXPECT_EQ(server.remembered_nonces(), 1u);  // expired ones were dropped
}

TEST(Digest, ParsesASoftphoneAuthorizationHeader) {
  // The credentials a softphone sends parse from a real header value.
  auto creds = parse_digest_credentials(
      "Digest "
      "username=\"1001\",realm=\"pbx.example.com\",nonce=\"6a5f\",uri=\"sip:pbx.example.com\","
      "response=\"0123456789abcdef0123456789abcdef\",cnonce=\"9f8e7d6c\",nc=00000001,qop=auth,"
      "algorithm=MD5");
  ASSERT_TRUE(creds.has_value()) << creds.error().message;
  EXPECT_EQ(creds->username, "1001");
  EXPECT_EQ(creds->nc, "00000001");
  EXPECT_EQ(creds->qop, "auth");
}

}  // namespace
}  // namespace hotline::sip
