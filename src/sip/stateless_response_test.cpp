#include "sip/stateless_response.hpp"

#include <gtest/gtest.h>

#include "sip/message.hpp"

namespace hotline::sip {
namespace {

constexpr std::string_view kBadMaxForwards =
    "OPTIONS sip:user@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n"
    "Max-Forwards: -70\r\n"
    "To: <sip:user@example.com>\r\n"
    "From: <sip:caller@example.net>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 63104 OPTIONS\r\n"
    "Content-Length: 0\r\n\r\n";

TEST(StatelessResponse, CopiesDialogHeadersAndParses) {
  auto text = stateless_error_response(kBadMaxForwards, 400, "bad \"Max-Forwards\"");
  ASSERT_TRUE(text.has_value());
  auto m = parse_message(*text);
  ASSERT_TRUE(m.has_value()) << m.error().reason << "\n" << *text;
  EXPECT_EQ(m->status_code(), 400);
  EXPECT_EQ(m->call_id(), "a84b4c76e66710");
  EXPECT_EQ(m->cseq().number, 63104u);
  ASSERT_EQ(m->vias().size(), 1u);
  EXPECT_EQ(m->vias()[0].branch(), "z9hG4bK776asdhds");
  EXPECT_TRUE(m->to().tag().has_value()) << "a final response needs a To tag";
  EXPECT_EQ(m->header("Warning"), R"(399 hotline "bad \"Max-Forwards\"")");
}

TEST(StatelessResponse, SameRequestSameTag) {
  EXPECT_EQ(stateless_error_response(kBadMaxForwards, 400, "x"),
            stateless_error_response(kBadMaxForwards, 400, "x"));
}

TEST(StatelessResponse, ResponsesAndGarbageAreDropped) {
  EXPECT_FALSE(stateless_error_response("SIP/2.0 200 OK\r\nVia: x\r\n\r\n", 400, "").has_value());
  EXPECT_FALSE(stateless_error_response("\x16\x03\x01 binary", 400, "").has_value());
  EXPECT_FALSE(stateless_error_response("", 400, "").has_value());
  // A request without Call-ID cannot be answered meaningfully.
  EXPECT_FALSE(
      stateless_error_response("INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n"
                               "From: <sip:x@y>\r\nTo: <sip:a@b>\r\nCSeq: 1 INVITE\r\n\r\n",
                               400, "")
          .has_value());
}

TEST(StatelessResponse, CompactFormsAreFound) {
  auto text = stateless_error_response(
      "INVITE sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:x@y>;tag=1\r\n"
      "t: <sip:a@b>\r\ni: abc\r\nCSeq: 1 INVITE\r\n\r\n",
      505, "");
  ASSERT_TRUE(text.has_value());
  EXPECT_TRUE(text->starts_with("SIP/2.0 505 Version Not Supported\r\n"));
}

}  // namespace
}  // namespace hotline::sip
