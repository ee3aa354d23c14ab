#include "sip/uri.hpp"

#include <gtest/gtest.h>

namespace hotline::sip {
namespace {

TEST(Uri, SipUriWithEverything) {
  auto u =
      parse_uri("sips:alice:secret@example.com:5061;transport=tls;lr?Subject=hi&Priority=urgent");
  ASSERT_TRUE(u.has_value()) << u.error().message;
  EXPECT_EQ(u->scheme, UriScheme::kSips);
  EXPECT_EQ(u->user, "alice");
  EXPECT_TRUE(u->has_password);
  EXPECT_EQ(u->password, "secret");
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->port, 5061);
  EXPECT_EQ(u->params.get("transport"), "tls");
  EXPECT_EQ(u->params.get("LR"), "");  // names are case-insensitive
  EXPECT_FALSE(u->params.has("maddr"));
  EXPECT_EQ(u->headers, "Subject=hi&Priority=urgent");
}

TEST(Uri, Ipv6Reference) {
  auto u = parse_uri("sip:bob@[2001:db8::10]:5070;maddr=[2001:db8::1]");
  ASSERT_TRUE(u.has_value()) << u.error().message;
  EXPECT_EQ(u->host, "[2001:db8::10]");
  EXPECT_EQ(u->host_address(), "2001:db8::10");
  EXPECT_EQ(u->port, 5070);
  EXPECT_EQ(u->params.get("maddr"), "[2001:db8::1]");
  EXPECT_FALSE(parse_uri("sip:bob@[2001:db8::10").has_value());
  EXPECT_FALSE(parse_uri("sip:bob@[nothex]").has_value());
}

TEST(Uri, HostOnlyAndPortBounds) {
  auto u = parse_uri("sip:registrar.example.com");
  ASSERT_TRUE(u.has_value());
  EXPECT_TRUE(u->user.empty());
  EXPECT_FALSE(u->port.has_value());
  EXPECT_TRUE(parse_uri("sip:h:65535").has_value());
  EXPECT_FALSE(parse_uri("sip:h:65536").has_value());
  EXPECT_FALSE(parse_uri("sip:h:").has_value());
  EXPECT_FALSE(parse_uri("sip:h:12a").has_value());
}

TEST(Uri, TelUri) {
  auto u = parse_uri("tel:+1-201-555-0123;phone-context=example.com");
  ASSERT_TRUE(u.has_value()) << u.error().message;
  EXPECT_EQ(u->scheme, UriScheme::kTel);
  EXPECT_EQ(u->user, "+1-201-555-0123");
  EXPECT_EQ(u->params.get("phone-context"), "example.com");
  EXPECT_FALSE(parse_uri("tel:").has_value());
  EXPECT_FALSE(parse_uri("tel:12@34").has_value());
}

TEST(Uri, OtherSchemesAreOpaque) {
  auto u = parse_uri("urn:service:sos");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->scheme, UriScheme::kOther);
  EXPECT_EQ(u->opaque, "service:sos");
  EXPECT_FALSE(u->is_sip());
}

TEST(Uri, RejectsMalformed) {
  for (const char* bad : {"", "sip", ":x", "1sip:x", "sip:", "sip:user@", "sip:@host", "sip:a@b@c",
                          "sip:us er@h", "<sip:a@b>", "sip:a@b;", "sip:a@b;=x", "sip:a@b;x=",
                          "sip:a%zz@b", "sip:a@b?", "sip:a@b?x", "sip:a@h_ost!", "sip:a@b c"}) {
    EXPECT_FALSE(parse_uri(bad).has_value()) << bad;
  }
}

TEST(Uri, UnescapeAndUnquote) {
  EXPECT_EQ(unescape("a%20b%zz%4"), "a b%zz%4");
  EXPECT_EQ(unescape("%00"), std::string(1, '\0'));
  EXPECT_EQ(unquote("\"a \\\"b\\\\\""), "a \"b\\");
  EXPECT_EQ(unquote("token"), "token");
}

TEST(Params, HeaderSyntaxWithWhitespaceAndQuotes) {
  auto p = parse_params(" ; a = 1 ;b; c=\"x;y\" ;d=[::1]", ParamSyntax::kHeader);
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(p->get("a"), "1");
  EXPECT_EQ(p->get("b"), "");
  EXPECT_EQ(p->get("c"), "\"x;y\"");
  EXPECT_EQ(p->get("d"), "[::1]");
  EXPECT_EQ(p->all().size(), 4u);
  EXPECT_FALSE(parse_params(";;", ParamSyntax::kHeader).has_value());
  EXPECT_FALSE(parse_params(";a=", ParamSyntax::kHeader).has_value());
  EXPECT_FALSE(parse_params(";a=\"open", ParamSyntax::kHeader).has_value());
  EXPECT_FALSE(parse_params(";a b", ParamSyntax::kHeader).has_value());
  EXPECT_FALSE(parse_params("x", ParamSyntax::kHeader).has_value());
}

}  // namespace
}  // namespace hotline::sip
