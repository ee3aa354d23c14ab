// RFC 4475 §3.1.2 and §3.3: every message the RFC calls invalid is refused with a
// reason and the response code the server should send (0 = drop: a response cannot
// be answered). Decisions per message are documented beside each expectation.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "sip/framer.hpp"
#include "sip/headers.hpp"
#include "sip/message.hpp"
#include "support/test_support.hpp"

namespace hotline::sip {
namespace {

std::filesystem::path corpus_dir() {
  return testing::shared_testdata_dir() / "sip" / "rfc4475";
}
std::string load(const std::string& name) {
  return testing::read_file(corpus_dir() / "invalid" / name);
}

struct Expectation {
  const char* file;
  int status;
  const char* reason_contains;
};

// The answer key, decided per message from INDEX.md and the RFC text.
constexpr Expectation kExpected[] = {
    // LWS inside <>: "< sip:t.watson@example.org >" — we do not parse leniently.
    {"badaspec.dat", 400, "To: bad uri in <>"},
    // As archived, the header section never ends (no empty line) — see BaddnDisplayName.
    {"baddn.dat", 400, "not terminated"},
    // ";;" in Via and Contact: empty parameters.
    {"badinv01.dat", 400, "empty"},
    // SIP/7.0 in the Request-Line: 505 Version Not Supported.
    {"badvers.dat", 505, "version"},
    // A response: status code is not 3 digits; drop.
    {"bigcode.dat", 0, "status code"},
    // Datagram with Content-Length 9999 but 154 body octets: 400.
    {"clerr.dat", 400, "shorter than Content-Length"},
    // Request-URI with ?Route=...: headers are not allowed there; 400 (never applied).
    {"escruri.dat", 400, "must not carry headers"},
    // No To, From or Call-ID.
    {"insuf.dat", 400, "missing"},
    // INVITE <sip:user@example.com> SIP/2.0
    {"ltgtruri.dat", 400, "Request-URI"},
    // "sip:user@example.com; lr" — SP inside the Request-URI.
    {"lwsruri.dat", 400, "whitespace"},
    // Two spaces between Request-Line elements.
    {"lwsstart.dat", 400, "whitespace"},
    // Two Content-Length values: ambiguous framing.
    {"mcl01.dat", 400, "duplicate Content-Length"},
    // OPTIONS with CSeq INVITE.
    {"mismatch01.dat", 400, "CSeq method"},
    // NEWMETHOD with CSeq INVITE: 400 (the method is not looked at before syntax).
    {"mismatch02.dat", 400, "CSeq method"},
    // Duplicate CSeq/Call-ID/To/From/Max-Forwards; the first duplicate seen is CSeq.
    {"multi01.dat", 400, "duplicate CSeq"},
    // Content-Length: -999
    {"ncl.dat", 400, "Content-Length"},
    // To: "Mr. J. User <sip:...> — the quote never closes.
    {"quotbal.dat", 400, "unterminated quoted"},
    // Contact addr-spec with '?' outside <>.
    {"regbadct.dat", 400, "must be in <>"},
    // CSeq > 2**32-1 (first of several overlarge values; see Scalar02EachValue).
    {"scalar02.dat", 400, "CSeq"},
    // A response with CSeq > 2**32-1: drop (never forwarded).
    {"scalarlg.dat", 0, "CSeq"},
    // Archive-only: Request-Line without SIP-Version.
    {"test.dat", 400, "request line"},
    // Spaces after SIP/2.0 in the Request-Line.
    {"trws.dat", 400, "whitespace"},
};

TEST(Rfc4475Invalid, EveryInvalidMessageIsRefusedWithAReason) {
  std::size_t checked = 0;
  for (const Expectation& e : kExpected) {
    auto m = parse_message(load(e.file));
    ASSERT_FALSE(m.has_value()) << e.file << " was accepted";
    EXPECT_EQ(m.error().status, e.status) << e.file << ": " << m.error().reason;
    EXPECT_NE(m.error().reason.find(e.reason_contains), std::string::npos)
        << e.file << ": " << m.error().reason;
    EXPECT_FALSE(m.error().to_error().message.empty());
    ++checked;
  }
  // Every file in invalid/ is covered: the table above plus baddate (next test).
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator(corpus_dir() / "invalid")) {
    ++files;
  }
  EXPECT_EQ(files, checked + 1);
}

// RFC 4475 §3.1.2.12 lets a robust element accept a bad Date and ignore it; the
// parser does (Date is not needed to route or answer) and the header is flagged by
// check_sip_date when someone does look at it.
TEST(Rfc4475Invalid, BaddateIsAcceptedButTheDateIsRejected) {
  auto m = parse_message(load("baddate.dat"));
  ASSERT_TRUE(m.has_value()) << m.error().reason;
  auto date = m->header(HeaderId::kDate);
  ASSERT_TRUE(date.has_value());
  EXPECT_FALSE(check_sip_date(*date).has_value());
  EXPECT_TRUE(check_sip_date("Fri, 01 Jan 2010 16:00:00 GMT").has_value());
}

TEST(Rfc4475Invalid, BaddnDisplayNameWithCommaIsRefusedOnItsOwn) {
  auto m = parse_message(load("baddn.dat") + "\r\n");
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().status, 400);
  EXPECT_NE(m.error().reason.find("From"), std::string::npos) << m.error().reason;
}

TEST(Rfc4475Invalid, Scalar02EachOverlargeValueIsCaught) {
  std::string text = load("scalar02.dat");
  // Replaces the line that starts with `prefix` by `line`.
  auto replace_line = [&text](std::string_view prefix, std::string_view line) {
    std::size_t at = text.find(prefix);
    ASSERT_NE(at, std::string::npos) << prefix;
    text.replace(at, text.find("\r\n", at) - at, line);
  };
  auto reason = [&text]() {
    auto m = parse_message(text);
    return m ? std::string("accepted") : m.error().reason;
  };
  EXPECT_NE(reason().find("CSeq"), std::string::npos) << reason();
  replace_line("CSeq:", "CSeq: 4294967295 REGISTER");
  EXPECT_NE(reason().find("Max-Forwards"), std::string::npos) << reason();
  replace_line("Max-Forwards:", "Max-Forwards: 255");
  EXPECT_NE(reason().find("Expires"), std::string::npos) << reason();
  replace_line("Expires:", "Expires: 4294967295");
  EXPECT_NE(reason().find("expires"), std::string::npos) << reason();
  replace_line("  ;expires=", "  ;expires=4294967295");
  EXPECT_EQ(reason(), "accepted");
}

// Over a stream the same corpus must frame or fail cleanly, whatever the chunking.
TEST(Rfc4475Invalid, StreamFramingNeverHangsOrCrashes) {
  for (const auto& entry : std::filesystem::directory_iterator(corpus_dir() / "invalid")) {
    const std::string bytes = testing::read_file(entry.path());
    StreamFramer framer;
    Frame last;
    for (std::size_t n = 1; n <= bytes.size(); ++n) {
      last = framer.next(std::string_view(bytes).substr(0, n));
      if (last.status != FrameStatus::kNeedMore) break;
    }
    const std::string name = entry.path().filename().string();
    if (name == "clerr.dat") {
      // Waits for 9999 body octets that never come: the transport's idle timer ends it.
      EXPECT_EQ(last.status, FrameStatus::kNeedMore);
    } else if (name == "mcl01.dat") {
      EXPECT_EQ(last.status, FrameStatus::kError);
    } else if (last.status == FrameStatus::kMessage) {
      ParseOptions stream;
      stream.framing = Framing::kStream;
      auto m = parse_message(bytes.substr(0, last.length), stream);
      EXPECT_EQ(m.has_value(), name == "baddate.dat") << name;
    }
  }
}

}  // namespace
}  // namespace hotline::sip
