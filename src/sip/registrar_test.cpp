// Registrar + LocationService on virtual time: add, refresh, remove, "*", several
// contacts, min/max expiry, ordering by CSeq, instance ids, Path, expiry sweep.
#include "sip/registrar.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace hotline::sip {
namespace {

using namespace std::chrono_literals;

Message reg(std::string_view extra_headers, std::uint32_t cseq = 1,
            std::string_view call_id = "reg-1", std::string_view user = "1001") {
  std::string text = fmt::format(
      "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK{}\r\n"
      "From: <sip:{}@127.0.0.1>;tag=a\r\nTo: <sip:{}@127.0.0.1>\r\n"
      "Call-ID: {}\r\nCSeq: {} REGISTER\r\nMax-Forwards: 70\r\n{}"
      "Content-Length: 0\r\n\r\n",
      cseq, user, user, call_id, cseq, extra_headers);
  auto m = parse_message(std::move(text));
  EXPECT_TRUE(m.has_value()) << m.error().reason;
  return std::move(*m);
}

Peer source() {
  return Peer{TransportType::kUdp, {"192.0.2.10", 5062}, {"127.0.0.1", 5060}, 0};
}

std::vector<std::string> contact_headers(const RegisterOutcome& o) {
  std::vector<std::string> out;
  for (const auto& [n, v] : o.headers) {
    if (n == "Contact") out.push_back(v);
  }
  return out;
}

class RegistrarTest : public ::testing::Test {
 protected:
  ManualClock clock;
  LocationService location{clock};
  Registrar registrar{location, clock, RegistrarOptions{60s, 3600s, 600s, 3}};
};

TEST_F(RegistrarTest, AddsRefreshesAndRemovesAContact) {
  auto o = registrar.handle(reg("Contact: <sip:1001@192.0.2.10:5062>\r\nExpires: 300\r\n"),
                            source(), "1001");
  ASSERT_EQ(o.status, 200);
  EXPECT_EQ(contact_headers(o), std::vector<std::string>{"<sip:1001@192.0.2.10:5062>;expires=300"});
  ASSERT_EQ(o.upserted.size(), 1u);
  EXPECT_EQ(o.upserted[0].source, source());
  EXPECT_EQ(o.added, std::vector<std::string>{"sip:1001@192.0.2.10:5062"});
  EXPECT_EQ(location.count("1001"), 1u);

  clock.advance(100s);
  o = registrar.handle(
      reg("Contact: <sip:1001@192.0.2.10:5062>;expires=400\r\nExpires: 300\r\n", 2), source(),
      "1001");
  ASSERT_EQ(o.status, 200);
  EXPECT_EQ(contact_headers(o), std::vector<std::string>{"<sip:1001@192.0.2.10:5062>;expires=400"});
  EXPECT_EQ(location.size(), 1u);
  EXPECT_TRUE(o.added.empty());  // a refresh

  o = registrar.handle(reg("Contact: <sip:1001@192.0.2.10:5062>\r\nExpires: 0\r\n", 3), source(),
                       "1001");
  ASSERT_EQ(o.status, 200);
  EXPECT_TRUE(contact_headers(o).empty());
  ASSERT_EQ(o.removed.size(), 1u);
  EXPECT_EQ(location.count("1001"), 0u);
}

TEST_F(RegistrarTest, DefaultExpiryAndCapAtMaximum) {
  auto o = registrar.handle(reg("Contact: <sip:a@192.0.2.10>\r\n"), source(), "1001");
  EXPECT_EQ(contact_headers(o), std::vector<std::string>{"<sip:a@192.0.2.10>;expires=600"});
  o = registrar.handle(reg("Contact: <sip:a@192.0.2.10>\r\nExpires: 99999\r\n", 2), source(),
                       "1001");
  EXPECT_EQ(contact_headers(o), std::vector<std::string>{"<sip:a@192.0.2.10>;expires=3600"});
}

TEST_F(RegistrarTest, TooBriefIs423WithMinExpiresAndChangesNothing) {
  auto o = registrar.handle(
      reg("Contact: <sip:a@192.0.2.10>, <sip:b@192.0.2.10>;expires=30\r\nExpires: 300\r\n"),
      source(), "1001");
  EXPECT_EQ(o.status, 423);
  ASSERT_EQ(o.headers.size(), 1u);
  EXPECT_EQ(o.headers[0], (std::pair<std::string, std::string>{"Min-Expires", "60"}));
  EXPECT_EQ(location.size(), 0u);
}

TEST_F(RegistrarTest, SeveralContactsListedAndQueryWithoutContact) {
  ASSERT_EQ(registrar
                .handle(reg("Contact: <sip:a@192.0.2.10>, <sip:b@192.0.2.11>\r\nExpires: 300\r\n"),
                        source(), "1001")
                .status,
            200);
  clock.advance(10s);
  auto o = registrar.handle(reg("", 2), source(), "1001");
  ASSERT_EQ(o.status, 200);
  EXPECT_EQ(contact_headers(o), (std::vector<std::string>{"<sip:a@192.0.2.10>;expires=290",
                                                          "<sip:b@192.0.2.11>;expires=290"}));
  EXPECT_TRUE(o.upserted.empty());
}

TEST_F(RegistrarTest, StarWithExpiresZeroRemovesAllAndNeedsExpiresZero) {
  registrar.handle(reg("Contact: <sip:a@192.0.2.10>, <sip:b@192.0.2.11>\r\n"), source(), "1001");
  EXPECT_EQ(registrar.handle(reg("Contact: *\r\n", 2), source(), "1001").status, 400);
  EXPECT_EQ(registrar.handle(reg("Contact: *\r\nExpires: 5\r\n", 3), source(), "1001").status, 400);
  auto o = registrar.handle(reg("Contact: *\r\nExpires: 0\r\n", 4), source(), "1001");
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(o.removed.size(), 2u);
  EXPECT_EQ(location.size(), 0u);
}

TEST_F(RegistrarTest, OldCSeqOfTheSameCallIdIsRefused) {
  registrar.handle(reg("Contact: <sip:a@192.0.2.10>\r\n", 5), source(), "1001");
  EXPECT_EQ(registrar.handle(reg("Contact: <sip:a@192.0.2.10>\r\n", 5), source(), "1001").status,
            500);
  EXPECT_EQ(registrar.handle(reg("Contact: <sip:a@192.0.2.10>\r\n", 4), source(), "1001").status,
            500);
  // Another Call-ID (the phone rebooted) may use any CSeq.
  EXPECT_EQ(
      registrar.handle(reg("Contact: <sip:a@192.0.2.10>\r\n", 1, "reg-2"), source(), "1001").status,
      200);
}

TEST_F(RegistrarTest, OnlyTheOwnerMayRegisterAndTheLimitHolds) {
  EXPECT_EQ(registrar.handle(reg("Contact: <sip:a@192.0.2.10>\r\n"), source(), "1002").status, 403);
  auto o = registrar.handle(reg("Contact: <sip:a@x>, <sip:b@x>, <sip:c@x>, <sip:d@x>\r\n"),
                            source(), "1001");
  EXPECT_EQ(o.status, 403);
  EXPECT_EQ(location.size(), 0u);
  EXPECT_EQ(registrar.handle(reg("Contact: <sip:a@x>, <sip:b@x>, <sip:c@x>\r\n"), source(), "1001")
                .status,
            200);
  // Refreshing existing ones is fine at the limit.
  EXPECT_EQ(registrar.handle(reg("Contact: <sip:a@x>\r\n", 2), source(), "1001").status, 200);
}

TEST_F(RegistrarTest, InstanceIdReplacesTheOldContactAndPathIsEchoed) {
  registrar.handle(reg("Contact: <sip:a@192.0.2.10:5062>;+sip.instance=\"<urn:uuid:1>\"\r\n"
                       "Path: <sip:edge.example.com;lr>\r\n"),
                   source(), "1001");
  auto o =
      registrar.handle(reg("Contact: <sip:a@192.0.2.99:6000>;+sip.instance=\"<urn:uuid:1>\"\r\n"
                           "Path: <sip:edge.example.com;lr>\r\n",
                           2),
                       source(), "1001");
  ASSERT_EQ(o.status, 200);
  EXPECT_EQ(contact_headers(o),
            std::vector<std::string>{"<sip:a@192.0.2.99:6000>;expires=600;+sip.instance=\"<urn:"
                                     "uuid:1>\""});
  ASSERT_EQ(o.removed.size(), 1u);
  EXPECT_EQ(o.removed[0].contact, "sip:a@192.0.2.10:5062");
  EXPECT_EQ(location.lookup("1001")[0].path, "<sip:edge.example.com;lr>");
  EXPECT_EQ(o.headers.back().first, "Path");
}

TEST_F(RegistrarTest, BindingsExpireOnTheClock) {
  registrar.handle(reg("Contact: <sip:a@x>;expires=60, <sip:b@x>;expires=120\r\n"), source(),
                   "1001");
  clock.advance(60s);
  EXPECT_EQ(location.count("1001"), 1u);  // a is due: not listed any more
  EXPECT_EQ(location.size(), 2u);         // ...but held until swept
  auto gone = location.expire();
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].contact, "sip:a@x");
  clock.advance(60s);
  EXPECT_EQ(location.expire().size(), 1u);
  EXPECT_EQ(location.aor_count(), 0u);
}

TEST(LocationService, ReachabilityAndForEach) {
  ManualClock clock;
  LocationService loc(clock);
  Binding b;
  b.aor = "1001";
  b.contact = "sip:a@x";
  b.expires_at = clock.now() + 60s;
  loc.upsert(b);
  b.aor = "1000";
  loc.upsert(b);
  EXPECT_TRUE(loc.set_reachable("1001", "sip:a@x", false));
  EXPECT_FALSE(loc.set_reachable("1001", "sip:zz@x", false));
  std::vector<std::string> seen;
  loc.for_each([&](const Binding& x) { seen.push_back(x.aor + (x.reachable ? "+" : "-")); });
  EXPECT_EQ(seen, (std::vector<std::string>{"1000+", "1001-"}));
  EXPECT_TRUE(loc.remove("1000", "sip:a@x"));
  EXPECT_FALSE(loc.remove("1000", "sip:a@x"));
}

}  // namespace
}  // namespace hotline::sip
