#include "sip/serializer.hpp"

#include <gtest/gtest.h>

namespace hotline::sip {
namespace {

const std::string kRegister =
    "REGISTER sip:registrar.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKreg1;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:1001@example.com>;tag=abc\r\n"
    "To: <sip:1001@example.com>\r\n"
    "Call-ID: reg-1@192.0.2.10\r\n"
    "CSeq: 2 REGISTER\r\n"
    "Subject: folded\r\n  value\r\n"
    "Contact: <sip:1001@192.0.2.10:5060>;expires=3600\r\n"
    "l: 0\r\n"
    "\r\n";

TEST(Serializer, UnmodifiedMessageIsByteIdentical) {
  auto m = parse_message(kRegister);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->wire(), kRegister);
}

TEST(Serializer, CanonicalFormUnfoldsAndKeepsNames) {
  auto m = parse_message(kRegister);
  ASSERT_TRUE(m.has_value());
  std::string out = MessageBuilder::copy_of(*m).serialize();
  EXPECT_NE(out.find("Subject: folded value\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\nl: 0\r\n\r\n"), std::string::npos) << out;
  auto again = parse_message(out);
  ASSERT_TRUE(again.has_value()) << again.error().reason;
  EXPECT_EQ(MessageBuilder::copy_of(*again).serialize(), out);  // canonical is a fixed point
}

TEST(Serializer, EditsBuildANewCheckedMessage) {
  auto m = parse_message(kRegister);
  ASSERT_TRUE(m.has_value());
  auto edited = MessageBuilder::copy_of(*m)
                    .prepend_header("Via", "SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1")
                    .set_header("Max-Forwards", "69")
                    .remove_headers("Subject")
                    .set_body("hello")
                    .add_header("Content-Type", "text/plain")
                    .build();
  ASSERT_TRUE(edited.has_value()) << edited.error().reason;
  EXPECT_EQ(edited->vias().size(), 2u);
  EXPECT_EQ(edited->vias()[0].host, "proxy.example.com");
  EXPECT_EQ(edited->max_forwards(), 69u);
  EXPECT_FALSE(edited->header(HeaderId::kSubject).has_value());
  EXPECT_EQ(edited->body(), "hello");
  EXPECT_EQ(edited->header(HeaderId::kContentLength), "5");
  // The original is untouched.
  EXPECT_EQ(m->wire(), kRegister);
}

TEST(Serializer, CompactAndLongNamesAreTheSameHeader) {
  auto m = parse_message(kRegister);
  ASSERT_TRUE(m.has_value());
  auto b = MessageBuilder::copy_of(*m).set_header("m", "<sip:1001@198.51.100.1>");
  auto built = b.build();
  ASSERT_TRUE(built.has_value()) << built.error().reason;
  ASSERT_EQ(built->contacts().entries.size(), 1u);
  EXPECT_EQ(built->contacts().entries[0].uri.host, "198.51.100.1");
}

TEST(Serializer, ResponseFromScratchGetsContentLength) {
  auto r =
      MessageBuilder::response(200, "OK")
          .add_header("Via", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKreg1;received=192.0.2.99")
          .add_header("From", "<sip:1001@example.com>;tag=abc")
          .add_header("To", "<sip:1001@example.com>;tag=srv")
          .add_header("Call-ID", "reg-1@192.0.2.10")
          .add_header("CSeq", "2 REGISTER");
  EXPECT_EQ(r.serialize().substr(r.serialize().size() - 21), "Content-Length: 0\r\n\r\n");
  auto m = r.build();
  ASSERT_TRUE(m.has_value()) << m.error().reason;
  EXPECT_EQ(m->status_code(), 200);
  EXPECT_EQ(m->vias()[0].received(), "192.0.2.99");
}

TEST(Serializer, Unfold) {
  EXPECT_EQ(unfold("a\r\n b"), "a b");
  EXPECT_EQ(unfold("a \r\n\t\tb"), "a b");
  EXPECT_EQ(unfold("plain"), "plain");
}

}  // namespace
}  // namespace hotline::sip
