#include "sip/message.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hotline::sip {
namespace {

std::string invite(std::string extra_headers = "", std::string body = "") {
  return "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
         "Via: SIP/2.0/UDP [2001:db8::5]:5060;branch=z9hG4bK74bf9;rport\r\n"
         "Max-Forwards: 70\r\n"
         "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
         "To: Bob <sip:bob@biloxi.example.com>\r\n"
         "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
         "CSeq: 1 INVITE\r\n" +
         extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(Message, ParsesARequest) {
  auto m =
      parse_message(invite("X-Trace: one\r\nContact: <sip:alice@[2001:db8::5]>\r\n", "v=0\r\n"));
  ASSERT_TRUE(m.has_value()) << m.error().reason;
  EXPECT_TRUE(m->is_request());
  EXPECT_EQ(m->method(), "INVITE");
  EXPECT_EQ(m->request_uri().user, "bob");
  EXPECT_EQ(m->vias().at(0).host, "[2001:db8::5]");
  EXPECT_EQ(m->vias().at(0).rport(), "");
  EXPECT_EQ(m->from().display_name, "Alice");
  EXPECT_EQ(m->from().tag(), "9fxced76sl");
  EXPECT_FALSE(m->to().tag().has_value());
  EXPECT_EQ(m->call_id(), "3848276298220188511@atlanta.example.com");
  EXPECT_EQ(m->max_forwards(), 70u);
  EXPECT_EQ(m->contacts().entries.at(0).uri.host_address(), "2001:db8::5");
  EXPECT_EQ(m->header("x-trace"), "one");
  EXPECT_EQ(m->header(HeaderId::kRoute), std::nullopt);
  EXPECT_EQ(m->headers().size(), 9u);
  EXPECT_EQ(m->headers()[7].name, "Contact");
  EXPECT_EQ(m->body(), "v=0\r\n");
  auto routes = m->routes();
  ASSERT_TRUE(routes.has_value());
  EXPECT_TRUE(routes->empty());
}

TEST(Message, MovingKeepsViewsValid) {
  auto m = parse_message(invite());
  ASSERT_TRUE(m.has_value());
  std::string_view call_id = m->call_id();
  Message moved = std::move(*m);
  EXPECT_EQ(moved.call_id().data(), call_id.data());
  EXPECT_EQ(moved.call_id(), "3848276298220188511@atlanta.example.com");
}

TEST(Message, RepeatedHeadersAndListsKeepOrder) {
  auto m =
      parse_message(invite("Via: SIP/2.0/TCP p1.example.com;branch=z9hG4bKa, SIP/2.0/TLS "
                           "p2.example.com;branch=z9hG4bKb\r\n"
                           "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
                           "Route: <sip:p3.example.com;lr>\r\n"
                           "Supported: replaces, timer\r\nk: 100rel\r\n"));
  ASSERT_TRUE(m.has_value()) << m.error().reason;
  ASSERT_EQ(m->vias().size(), 3u);
  EXPECT_EQ(m->vias()[2].transport, "TLS");
  auto routes = m->routes();
  ASSERT_TRUE(routes.has_value());
  ASSERT_EQ(routes->size(), 3u);
  EXPECT_EQ((*routes)[2].uri.host, "p3.example.com");
  auto supported = m->header_values(HeaderId::kSupported);
  ASSERT_TRUE(supported.has_value());
  EXPECT_EQ(*supported, (std::vector<std::string_view>{"replaces", "timer", "100rel"}));
}

TEST(Message, ParsesAResponse) {
  auto m = parse_message(
      "SIP/2.0 180 Ringing\r\n"
      "v: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnashds8;received=192.0.2.1;rport=5066\r\n"
      "f: <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
      "t: <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
      "i: a84b4c76e66710\r\n"
      "CSeq: 314159 INVITE\r\n"
      "m: <sip:bob@192.0.2.4>\r\n"
      "l: 0\r\n\r\n");
  ASSERT_TRUE(m.has_value()) << m.error().reason;
  EXPECT_TRUE(m->is_response());
  EXPECT_EQ(m->status_code(), 180);
  EXPECT_EQ(m->reason_phrase(), "Ringing");
  EXPECT_EQ(m->vias().at(0).rport(), "5066");
  EXPECT_EQ(m->to().tag(), "a6c85cf");
  EXPECT_EQ(m->cseq().method, "INVITE");
  EXPECT_EQ(m->contacts().entries.size(), 1u);
}

TEST(Message, ContactStarWithExpiresZero) {
  std::string text = invite("Contact: *\r\nExpires: 0\r\n");
  text.replace(0, 6, "REGISTER");
  text.replace(text.find("CSeq: 1 INVITE"), 14, "CSeq: 1 REGISTER");
  auto m = parse_message(text);
  ASSERT_TRUE(m.has_value()) << m.error().reason;
  EXPECT_TRUE(m->contacts().star);
  EXPECT_EQ(m->expires(), 0u);
}

TEST(Message, LeadingKeepAliveCrlfsAreSkipped) {
  const std::string text = invite();
  auto m = parse_message("\r\n\r\n" + text);
  ASSERT_TRUE(m.has_value()) << m.error().reason;
  EXPECT_EQ(m->wire(), text);
}

TEST(Message, Limits) {
  ParseOptions small;
  small.max_message_size = 300;
  auto big = parse_message(invite("", std::string(400, 'x')), small);
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().status, 513);

  ParseOptions few;
  few.max_headers = 6;
  auto many = parse_message(invite(), few);
  ASSERT_FALSE(many.has_value());
  EXPECT_NE(many.error().reason.find("too many headers"), std::string::npos);
  few.max_headers = 7;
  EXPECT_TRUE(parse_message(invite(), few).has_value());

  ParseOptions short_lines;
  short_lines.max_header_line = 60;
  auto longline = parse_message(invite("Subject: " + std::string(60, 'a') + "\r\n"), short_lines);
  ASSERT_FALSE(longline.has_value());
  EXPECT_NE(longline.error().reason.find("too long"), std::string::npos);
}

TEST(Message, StreamFramingRules) {
  ParseOptions stream;
  stream.framing = Framing::kStream;
  EXPECT_TRUE(parse_message(invite("", "abc"), stream).has_value());
  auto extra = parse_message(invite("", "abc") + "junk", stream);
  ASSERT_FALSE(extra.has_value());
  auto dgram = parse_message(invite("", "abc") + "junk");
  ASSERT_TRUE(dgram.has_value());
  EXPECT_EQ(dgram->body(), "abc");
  EXPECT_EQ(dgram->discarded_trailing_bytes(), 4u);
}

TEST(Message, MalformedLinesAreErrors) {
  struct Case {
    std::string text;
    int status;
  };
  const std::string ok = invite();
  std::vector<Case> cases = {
      {"", 0},
      {"garbage", 0},
      {"INVITE sip:a@b SIP/2.0\r\n", 400},        // header section never ends
      {"INVITE sip:a@b SIP/2.0\nVia: x\n\n", 0},  // bare LF: no start line CRLF
      {ok.substr(0, ok.find("Max-Forwards")) + "Max-Forwards: 1\nX: y\r\n" +
           ok.substr(ok.find("From:")),
       400},
      {ok.substr(0, ok.find("Max-Forwards")) + ": nameless\r\n" +
           ok.substr(ok.find("Max-Forwards")),
       400},
      {"SIP/2.0 99 Too Small\r\n\r\n", 0},
      {"SIP/2.0 200\r\n\r\n", 0},  // parses the line; missing headers, response: drop
      {"SIP/3.0 200 OK\r\n\r\n", 0},
      {"INVITE sip:a@b SIP/2\r\n\r\n", 400},
      {"INVITE sip:a@b SIP/2.1\r\n\r\n", 505},
      {"IN<VITE sip:a@b SIP/2.0\r\n\r\n", 400},
  };
  for (const Case& c : cases) {
    auto m = parse_message(c.text);
    ASSERT_FALSE(m.has_value()) << c.text;
    EXPECT_EQ(m.error().status, c.status) << c.text << " -> " << m.error().reason;
  }
}

TEST(Message, FoldedCoreHeaders) {
  std::string text = invite();
  text.replace(text.find("CSeq: 1 INVITE"), 14, "CSeq:\r\n 1\r\n\tINVITE");
  auto m = parse_message(text);
  ASSERT_TRUE(m.has_value()) << m.error().reason;
  EXPECT_EQ(m->cseq().number, 1u);
  EXPECT_EQ(m->cseq().method, "INVITE");
}

}  // namespace
}  // namespace hotline::sip
