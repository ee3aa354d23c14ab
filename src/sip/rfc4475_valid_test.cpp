// RFC 4475 §3.1.1, §3.2-3.4: every message the RFC calls valid parses, and the
// fields the RFC singles out as tricky come out right. The corpus is read from
// ../shared/testdata/sip/rfc4475 (never copied into the repository).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "sip/message.hpp"
#include "sip/serializer.hpp"
#include "support/test_support.hpp"

namespace hotline::sip {
namespace {

std::filesystem::path corpus_dir() {
  return testing::shared_testdata_dir() / "sip" / "rfc4475";
}
std::string load(const std::string& name) {
  return testing::read_file(corpus_dir() / "valid" / name);
}

Message parse_valid(const std::string& name) {
  auto m = parse_message(load(name));
  if (!m) ADD_FAILURE() << name << ": " << m.error().reason;
  EXPECT_TRUE(m.has_value());
  return std::move(*m);
}

std::string param(const ParamList& params, std::string_view name) {
  auto v = params.get(name);
  return v ? std::string(*v) : std::string("<absent>");
}

TEST(Rfc4475Valid, EveryValidMessageParsesAndRoundTrips) {
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus_dir() / "valid")) {
    ++files;
    const std::string bytes = testing::read_file(entry.path());
    auto m = parse_message(bytes);
    ASSERT_TRUE(m.has_value()) << entry.path().filename() << ": " << m.error().reason;
    // Unmodified messages serialize byte-identically (minus dblreq's trailing junk).
    EXPECT_EQ(m->wire(), std::string_view(bytes).substr(0, m->wire().size()));
    EXPECT_EQ(m->wire().size() + m->discarded_trailing_bytes(), bytes.size());
    // Canonical re-serialization parses to the same fields.
    auto again = MessageBuilder::copy_of(*m).build();
    ASSERT_TRUE(again.has_value()) << entry.path().filename() << ": " << again.error().reason;
    EXPECT_EQ(again->is_request(), m->is_request());
    EXPECT_EQ(again->method(), m->method());
    EXPECT_EQ(again->request_uri().text, m->request_uri().text);
    EXPECT_EQ(again->status_code(), m->status_code());
    EXPECT_EQ(again->reason_phrase(), m->reason_phrase());
    EXPECT_EQ(again->call_id(), m->call_id());
    EXPECT_EQ(again->cseq().number, m->cseq().number);
    EXPECT_EQ(again->cseq().method, m->cseq().method);
    EXPECT_EQ(again->from().tag(), m->from().tag());
    EXPECT_EQ(again->to().uri.text, m->to().uri.text);
    EXPECT_EQ(again->vias().size(), m->vias().size());
    EXPECT_EQ(again->contacts().entries.size(), m->contacts().entries.size());
    EXPECT_EQ(again->headers().size(), m->headers().size() + (m->has_content_length() ? 0 : 1));
    EXPECT_EQ(again->body(), m->body());
  }
  EXPECT_EQ(files, 27u);  // INDEX.md: 27 files in valid/
}

TEST(Rfc4475Valid, WsinvFoldingAndOddWhitespace) {
  Message m = parse_valid("wsinv.dat");
  EXPECT_EQ(m.method(), "INVITE");
  EXPECT_TRUE(m.request_uri().params.has("unknownparam"));
  EXPECT_EQ(m.to().uri.user, "vivekg");
  EXPECT_EQ(m.to().tag(), "1918181833n");
  EXPECT_EQ(m.from().display_name_text(), "J Rosenberg \\\"");
  EXPECT_EQ(m.from().tag(), "98asjd8");
  EXPECT_EQ(m.max_forwards(), 68u);
  EXPECT_EQ(m.cseq().number, 9u);
  EXPECT_EQ(m.cseq().method, "INVITE");
  ASSERT_EQ(m.vias().size(), 3u);
  EXPECT_EQ(m.vias()[0].transport, "UDP");
  EXPECT_EQ(m.vias()[0].host, "192.0.2.2");
  EXPECT_EQ(m.vias()[0].branch(), "390skdjuw");
  EXPECT_EQ(m.vias()[1].transport, "TCP");
  EXPECT_EQ(m.vias()[1].host, "spindle.example.com");
  EXPECT_EQ(m.vias()[1].branch(), "z9hG4bK9ikj8");
  EXPECT_EQ(m.vias()[2].host, "192.168.255.111");
  EXPECT_EQ(m.vias()[2].branch(), "z9hG4bK30239");
  EXPECT_EQ(m.header(HeaderId::kSubject), "");
  EXPECT_EQ(unfold(*m.header("NewFangledHeader")), "newfangled value continued newfangled value");
  EXPECT_EQ(m.header("unknownheaderwithunusualvalue"), ";;,,;;,;");
  auto routes = m.routes();
  ASSERT_TRUE(routes.has_value());
  ASSERT_EQ(routes->size(), 1u);
  EXPECT_TRUE((*routes)[0].uri.params.has("lr"));
  EXPECT_EQ(param((*routes)[0].uri.params, "unknownwith"), "value");
  EXPECT_EQ(param((*routes)[0].uri.params, "unknown-no-value"), "");
  ASSERT_EQ(m.contacts().entries.size(), 1u);
  const NameAddr& c = m.contacts().entries[0];
  EXPECT_EQ(c.display_name_text(), "Quoted string \"\"");
  EXPECT_EQ(param(c.params, "newparam"), "newvalue");
  EXPECT_EQ(param(c.params, "secondparam"), "");
  EXPECT_EQ(param(c.params, "q"), "0.33");
  EXPECT_EQ(m.content_type(), "application/sdp");
  EXPECT_EQ(m.body().size(), 150u);
}

TEST(Rfc4475Valid, IntmethWideRangeOfCharacters) {
  Message m = parse_valid("intmeth.dat");
  EXPECT_EQ(m.method(), "!interesting-Method0123456789_*+`.%indeed'~");
  EXPECT_EQ(m.cseq().method, m.method());
  EXPECT_EQ(m.request_uri().user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  EXPECT_EQ(m.request_uri().password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  EXPECT_EQ(m.request_uri().host, "example.com");
  EXPECT_EQ(m.to().display_name_text(), std::string("BEL:\x07 NUL:\0 DEL:\x7f", 17));
  EXPECT_EQ(m.from().display_name, "token1~` token2'+_ token3*%!.-");
  EXPECT_EQ(m.from().tag(), "_token~1'+`*%!-.");
  EXPECT_EQ(m.call_id(), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
  EXPECT_EQ(m.vias()[0].branch(), "z9hG4bK-.!%66*_+`'~");
  EXPECT_TRUE(m.header("extensionHeader-!.%*+_`'~").has_value());
  EXPECT_EQ(m.max_forwards(), 255u);
}

TEST(Rfc4475Valid, Esc01EscapedUriParts) {
  Message m = parse_valid("esc01.dat");
  EXPECT_EQ(m.request_uri().user_unescaped(), "sips:user@example.com");
  EXPECT_EQ(m.request_uri().host, "example.net");
  EXPECT_EQ(m.to().uri.user_unescaped(), "user");
  EXPECT_EQ(m.from().uri.user_unescaped(), "I have spaces");
  ASSERT_EQ(m.contacts().entries.size(), 1u);
  auto params = m.contacts().entries[0].uri.params.all();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(unescape(params[0].name), "lr");
  EXPECT_EQ(unescape(params[1].name), "name");
  EXPECT_EQ(unescape(params[1].value), "value%41");
}

TEST(Rfc4475Valid, EscnullKeepsNulOctets) {
  Message m = parse_valid("escnull.dat");
  EXPECT_EQ(m.to().uri.user_unescaped(), std::string("null-\0-null", 11));
  ASSERT_EQ(m.contacts().entries.size(), 2u);
  EXPECT_EQ(m.contacts().entries[1].uri.user_unescaped(), std::string("\0\0", 2));
}

TEST(Rfc4475Valid, Esc02PercentThatIsNotAnEscape) {
  Message m = parse_valid("esc02.dat");
  EXPECT_EQ(m.method(), "RE%47IST%45R");
  EXPECT_NE(m.method(), "REGISTER");
  EXPECT_EQ(m.from().display_name_text(), "%Z%45");
  EXPECT_EQ(m.contacts().entries.size(), 2u);  // "C%6Fntact" is another header
  EXPECT_EQ(m.header("C%6Fntact"), "<sip:alias2@host2.example.com>");
}

TEST(Rfc4475Valid, LwsdispDisplayNameWithoutSpace) {
  Message m = parse_valid("lwsdisp.dat");
  EXPECT_EQ(m.from().display_name, "caller");
  EXPECT_EQ(m.from().uri.user, "caller");
  EXPECT_EQ(m.from().tag(), "323");
}

TEST(Rfc4475Valid, LongreqLongValues) {
  Message m = parse_valid("longreq.dat");
  EXPECT_EQ(m.vias().size(), 34u);
  EXPECT_EQ(m.vias()[0].host, "sip33.example.com");
  EXPECT_EQ(m.vias()[33].received(), "192.0.2.5");
  EXPECT_GT(m.vias()[33].branch()->size(), 200u);
  EXPECT_EQ(m.to().uri.port, 6000);
  std::string flag = "very";
  for (int i = 0; i < 25; ++i) flag += "long";
  EXPECT_TRUE(m.to().uri.params.has(flag + "ParameterNameWithNoValue"));
  EXPECT_GT(m.from().tag()->size(), 150u);
  EXPECT_GT(m.call_id().size(), 100u);
  EXPECT_EQ(m.body().size(), 150u);
}

TEST(Rfc4475Valid, DblreqOnlyTheFirstRequestCounts) {
  const std::string bytes = load("dblreq.dat");
  auto m = parse_message(bytes);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->method(), "REGISTER");
  EXPECT_TRUE(m->body().empty());
  EXPECT_GT(m->discarded_trailing_bytes(), 400u);
  EXPECT_EQ(bytes.substr(m->wire().size()).find("INVITE sip:joe@example.com"), 2u);
}

TEST(Rfc4475Valid, SemiuriSemicolonInUserPart) {
  Message m = parse_valid("semiuri.dat");
  EXPECT_EQ(m.request_uri().user, "user;par=u%40example.net");
  EXPECT_EQ(m.request_uri().host, "example.com");
  EXPECT_TRUE(m.request_uri().params.empty());
  auto accept = m.header_values(HeaderId::kAccept);
  ASSERT_TRUE(accept.has_value());
  EXPECT_EQ(accept->size(), 6u);
  EXPECT_EQ(accept->back(), "message/sipfrag");
}

TEST(Rfc4475Valid, TransportsIncludingUnknown) {
  Message m = parse_valid("transports.dat");
  std::vector<std::string_view> transports;
  for (const Via& v : m.vias()) transports.push_back(v.transport);
  EXPECT_EQ(transports, (std::vector<std::string_view>{"UDP", "SCTP", "TLS", "UNKNOWN", "TCP"}));
  EXPECT_EQ(m.call_id(), "transports.kijh4akdnaqjkwendsasfdj");
}

TEST(Rfc4475Valid, Mpart01BinaryBodyKeptWhole) {
  const std::string bytes = load("mpart01.dat");
  Message m = parse_valid("mpart01.dat");
  EXPECT_EQ(m.content_type(), "multipart/mixed");
  ASSERT_EQ(m.body().size(), 553u);
  EXPECT_EQ(m.body(), std::string_view(bytes).substr(bytes.size() - 553));
  EXPECT_NE(m.body().find('\0'), std::string_view::npos);
  EXPECT_EQ(m.vias()[0].rport(), "");
}

TEST(Rfc4475Valid, UnreasonUtf8ReasonPhrase) {
  Message m = parse_valid("unreason.dat");
  EXPECT_EQ(m.status_code(), 200);
  EXPECT_TRUE(m.reason_phrase().starts_with("= 2**3 * 5**2 "));
  EXPECT_TRUE(std::any_of(m.reason_phrase().begin(), m.reason_phrase().end(),
                          [](char c) { return static_cast<unsigned char>(c) >= 0x80; }));
  EXPECT_EQ(m.body().size(), 154u);
}

TEST(Rfc4475Valid, NoreasonEmptyReasonPhrase) {
  Message m = parse_valid("noreason.dat");
  EXPECT_EQ(m.status_code(), 100);
  EXPECT_EQ(m.reason_phrase(), "");
}

TEST(Rfc4475Valid, UnknownSchemesAreKeptWhole) {
  Message unkscm = parse_valid("unkscm.dat");
  EXPECT_EQ(unkscm.request_uri().scheme, UriScheme::kOther);
  EXPECT_EQ(unkscm.request_uri().scheme_name, "nobodyKnowsThisScheme");
  EXPECT_EQ(unkscm.request_uri().opaque, "totallyopaquecontent");
  Message novelsc = parse_valid("novelsc.dat");
  EXPECT_EQ(novelsc.request_uri().scheme_name, "soap.beep");
  // A UAS that serves only sip/sips/tel answers these 416 (RFC 4475 §3.3.2, §3.3.3).
  ParseOptions uas;
  uas.refuse_unknown_uri_schemes = true;
  for (const char* name : {"unkscm.dat", "novelsc.dat"}) {
    auto refused = parse_message(load(name), uas);
    ASSERT_FALSE(refused.has_value()) << name;
    EXPECT_EQ(refused.error().status, 416) << name;
  }
  EXPECT_TRUE(parse_message(load("wsinv.dat"), uas).has_value());
  Message unksm2 = parse_valid("unksm2.dat");
  EXPECT_EQ(unksm2.to().uri.scheme_name, "isbn");
  EXPECT_FALSE(unksm2.to().angle_brackets);
  EXPECT_EQ(unksm2.from().uri.opaque, "//www.example.com");
  EXPECT_EQ(unksm2.contacts().entries[0].uri.opaque, "John_Smith");
}

TEST(Rfc4475Valid, ContactParamsVersusUriParams) {
  Message cparam01 = parse_valid("cparam01.dat");
  const NameAddr& c1 = cparam01.contacts().entries.at(0);
  EXPECT_FALSE(c1.angle_brackets);
  EXPECT_TRUE(c1.uri.params.empty());
  EXPECT_TRUE(c1.params.has("unknownparam"));
  Message cparam02 = parse_valid("cparam02.dat");
  const NameAddr& c2 = cparam02.contacts().entries.at(0);
  EXPECT_TRUE(c2.uri.params.has("unknownparam"));
  EXPECT_TRUE(c2.params.empty());
}

TEST(Rfc4475Valid, RegescrtUriHeadersKeptVerbatim) {
  Message m = parse_valid("regescrt.dat");
  const NameAddr& c = m.contacts().entries.at(0);
  EXPECT_EQ(c.uri.headers, "Route=%3Csip:sip.example.com%3E");
  EXPECT_EQ(unescape(c.uri.headers), "Route=<sip:sip.example.com>");
}

TEST(Rfc4475Valid, SemanticCasesParse) {
  EXPECT_EQ(parse_valid("zeromf.dat").max_forwards(), 0u);
  EXPECT_EQ(parse_valid("bcast.dat").vias().at(1).host, "255.255.255.255");
  EXPECT_EQ(parse_valid("badbranch.dat").vias().at(0).branch(), "z9hG4bK");
  Message regaut = parse_valid("regaut01.dat");
  EXPECT_EQ(regaut.header(HeaderId::kAuthorization), "NoOneKnowsThisScheme opaque-data=here");
  EXPECT_TRUE(regaut.has_content_length());
  Message bext = parse_valid("bext01.dat");
  auto require = bext.header_values(HeaderId::kRequire);
  ASSERT_TRUE(require.has_value());
  EXPECT_EQ(*require,
            (std::vector<std::string_view>{"nothingSupportsThis", "nothingSupportsThisEither"}));
  EXPECT_EQ(bext.header_values(HeaderId::kProxyRequire)->size(), 2u);
  Message invut = parse_valid("invut.dat");
  EXPECT_EQ(invut.content_type(), "application/unknownformat");
  EXPECT_EQ(invut.body().size(), 40u);
  EXPECT_EQ(parse_valid("sdp01.dat").header(HeaderId::kAccept), "text/nobodyKnowsThis");
}

TEST(Rfc4475Valid, Inv2543OldSyntax) {
  Message m = parse_valid("inv2543.dat");
  EXPECT_FALSE(m.has_content_length());
  EXPECT_EQ(m.body().size(), 105u);  // the rest of the datagram
  EXPECT_FALSE(m.vias()[0].branch().has_value());
  EXPECT_FALSE(m.from().tag().has_value());
  EXPECT_FALSE(m.max_forwards().has_value());
  // Over a stream there is no way to find the end without Content-Length.
  ParseOptions stream;
  stream.framing = Framing::kStream;
  EXPECT_FALSE(parse_message(load("inv2543.dat"), stream).has_value());
}

}  // namespace
}  // namespace hotline::sip
