#include "sip/headers.hpp"

#include <gtest/gtest.h>

namespace hotline::sip {
namespace {

TEST(HeaderNames, CompactAndLongFormsAreCaseInsensitive) {
  struct Case {
    const char* name;
    HeaderId id;
  };
  for (Case c :
       {Case{"i", HeaderId::kCallId}, Case{"M", HeaderId::kContact}, Case{"f", HeaderId::kFrom},
        Case{"t", HeaderId::kTo}, Case{"v", HeaderId::kVia}, Case{"L", HeaderId::kContentLength},
        Case{"c", HeaderId::kContentType}, Case{"k", HeaderId::kSupported},
        Case{"s", HeaderId::kSubject}, Case{"e", HeaderId::kContentEncoding},
        Case{"o", HeaderId::kEvent}, Case{"r", HeaderId::kReferTo},
        Case{"u", HeaderId::kAllowEvents}, Case{"x", HeaderId::kSessionExpires},
        Case{"call-id", HeaderId::kCallId}, Case{"CSEQ", HeaderId::kCSeq},
        Case{"www-authenticate", HeaderId::kWwwAuthenticate}, Case{"q", HeaderId::kUnknown},
        Case{"X-Custom", HeaderId::kUnknown}}) {
    EXPECT_EQ(header_id(c.name), c.id) << c.name;
  }
  EXPECT_EQ(header_id("Call\rID"), HeaderId::kUnknown);
  EXPECT_EQ(header_id("Vi@"), HeaderId::kUnknown);
  // Every long name maps back to its id (the first-letter buckets cover the table).
  for (int i = 1; i < static_cast<int>(HeaderId::kCount); ++i) {
    auto id = static_cast<HeaderId>(i);
    EXPECT_EQ(header_id(header_name(id)), id) << header_name(id);
  }
  EXPECT_EQ(header_name(HeaderId::kCallId), "Call-ID");
  EXPECT_EQ(header_name(HeaderId::kUnknown), "");
}

TEST(NameAddr, Forms) {
  auto a = parse_name_addr("\"Alice \\\"A\\\"\" <sip:alice@example.com;transport=tcp>;tag=1");
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_TRUE(a->display_quoted);
  EXPECT_EQ(a->display_name_text(), "Alice \"A\"");
  EXPECT_EQ(a->uri.params.get("transport"), "tcp");
  EXPECT_EQ(a->tag(), "1");

  auto b = parse_name_addr("Bob Smith <sip:bob@example.com>");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->display_name, "Bob Smith");
  EXPECT_FALSE(b->display_quoted);

  auto c = parse_name_addr("sip:carol@example.com;tag=xyz");
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(c->angle_brackets);
  EXPECT_EQ(c->uri.text, "sip:carol@example.com");
  EXPECT_EQ(c->tag(), "xyz");

  auto d = parse_name_addr("<tel:+15551234>");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->uri.scheme, UriScheme::kTel);

  for (const char* bad : {"", "\"open <sip:a@b>", "\"x\" sip:a@b", "<sip:a@b", "< sip:a@b>",
                          "Bell, A <sip:a@b>", "sip:a@b?x=y", "<sip:a@b> junk", "<sip:a@b>;"}) {
    EXPECT_FALSE(parse_name_addr(bad).has_value()) << bad;
  }
}

TEST(Via, AllParameters) {
  auto v = parse_via(
      "SIP/2.0/UDP [2001:db8::9]:5062;branch=z9hG4bK776;received=192.0.2.4;rport=6000;"
      "maddr=224.2.0.1;ttl=16");
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ(v->protocol_name, "SIP");
  EXPECT_EQ(v->protocol_version, "2.0");
  EXPECT_EQ(v->transport, "UDP");
  EXPECT_EQ(v->host, "[2001:db8::9]");
  EXPECT_EQ(v->port, 5062);
  EXPECT_EQ(v->branch(), "z9hG4bK776");
  EXPECT_EQ(v->received(), "192.0.2.4");
  EXPECT_EQ(v->rport(), "6000");
  EXPECT_EQ(v->maddr(), "224.2.0.1");
  EXPECT_EQ(v->ttl(), "16");

  auto r = parse_via("SIP/2.0/TCP client.example.com ; rport ; branch=z9hG4bKx");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->rport(), "");
  EXPECT_FALSE(r->port.has_value());

  for (const char* bad :
       {"SIP/2.0 host", "SIP/2.0/UDP", "SIP/2.0/UDPhost", "SIP/2.0/UDP host:99999",
        "SIP/2.0/UDP host;rport=x", "SIP/2.0/UDP host;ttl=256", "SIP/2.0/UDP host;received=not/ip",
        "SIP/2.0/UDP host;;"}) {
    EXPECT_FALSE(parse_via(bad).has_value()) << bad;
  }
}

TEST(Scalars, NumbersCSeqCallId) {
  EXPECT_EQ(parse_number(" 0068 ", 255), 68u);
  EXPECT_FALSE(parse_number("256", 255).has_value());
  EXPECT_FALSE(parse_number("-1", 255).has_value());
  EXPECT_FALSE(parse_number("", 255).has_value());
  EXPECT_FALSE(parse_number("99999999999999999999999999", ~0ull).has_value());
  auto c = parse_cseq("4294967295 INVITE");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->number, 4294967295u);
  EXPECT_FALSE(parse_cseq("4294967296 INVITE").has_value());
  EXPECT_FALSE(parse_cseq("1INVITE").has_value());
  EXPECT_FALSE(parse_cseq("1 INVITE x").has_value());
  EXPECT_EQ(parse_call_id(" a84b4c76e66710@pc33.example.com "), "a84b4c76e66710@pc33.example.com");
  EXPECT_FALSE(parse_call_id("a b").has_value());
  EXPECT_FALSE(parse_call_id("a@b@c").has_value());
  EXPECT_FALSE(parse_call_id("@b").has_value());
}

TEST(Lists, CommasInsideQuotesAndAngleBrackets) {
  auto l = split_list("\"a, b\" <sip:x@y;p=1,2>, <sip:z@w> ,sip:q@r", false);
  ASSERT_TRUE(l.has_value()) << l.error().message;
  ASSERT_EQ(l->size(), 3u);
  EXPECT_EQ((*l)[0], "\"a, b\" <sip:x@y;p=1,2>");
  EXPECT_EQ((*l)[2], "sip:q@r");
  EXPECT_FALSE(split_list("a,,b", false).has_value());
  EXPECT_EQ(split_list("a,,b", true)->size(), 2u);
  EXPECT_FALSE(split_list("\"a", true).has_value());
  EXPECT_FALSE(split_list("<a", true).has_value());
}

TEST(Contacts, StarAndParams) {
  ContactList star;
  EXPECT_TRUE(parse_contacts("*", star).has_value());
  EXPECT_TRUE(star.star);
  EXPECT_FALSE(parse_contacts("<sip:a@b>", star).has_value());

  ContactList list;
  ASSERT_TRUE(parse_contacts("<sip:a@b>;expires=60;q=0.5, sip:c@d", list).has_value());
  EXPECT_EQ(list.entries.size(), 2u);
  EXPECT_FALSE(parse_contacts("*", list).has_value());
  ContactList bad;
  EXPECT_FALSE(parse_contacts("<sip:a@b>;expires=4294967296", bad).has_value());
  EXPECT_FALSE(parse_contacts("<sip:a@b>;q=1.5", bad).has_value());
  EXPECT_FALSE(parse_contacts("<sip:a@b>;q=0.1234", bad).has_value());
}

TEST(MediaType, TypeSubtypeAndParams) {
  EXPECT_EQ(parse_media_type("multipart/mixed;boundary=7a9c"), "multipart/mixed");
  EXPECT_EQ(parse_media_type("application / sdp"), "application / sdp");
  EXPECT_FALSE(parse_media_type("sdp").has_value());
  EXPECT_FALSE(parse_media_type("a/b;").has_value());
}

}  // namespace
}  // namespace hotline::sip
