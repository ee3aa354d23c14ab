// Pure dialog helpers: route sets from Record-Route, loose vs strict request
// addressing (RFC 3261 §12.2.1.1), requests built from dialog state, tag handling.
#include "sip/dialog.hpp"

#include <gtest/gtest.h>

namespace hotline::sip {
namespace {

Message parse(const std::string& text) {
  auto m = parse_message(text);
  EXPECT_TRUE(m.has_value()) << text;
  return std::move(*m);
}

std::string with_record_route(std::string_view rr) {
  return "SIP/2.0 200 OK\r\n"
         "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx\r\n" +
         std::string(rr) +
         "From: <sip:alice@example.com>;tag=a\r\n"
         "To: <sip:bob@example.com>;tag=b\r\n"
         "Call-ID: c1\r\n"
         "CSeq: 1 INVITE\r\n"
         "Content-Length: 0\r\n\r\n";
}

TEST(DialogRoutes, RecordRouteInOrderForUasReversedForUac) {
  const Message m =
      parse(with_record_route("Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
                              "Record-Route: sip:p3.example.com\r\n"));
  auto uas = route_set_from(m, DialogRole::kUas);
  ASSERT_TRUE(uas.has_value());
  ASSERT_EQ(uas->size(), 3u);
  EXPECT_EQ((*uas)[0].uri, "sip:p1.example.com;lr");
  EXPECT_TRUE((*uas)[0].loose);
  EXPECT_EQ((*uas)[1].value, "<sip:p2.example.com;lr>");
  // An addr-spec Record-Route is written back as a name-addr.
  EXPECT_EQ((*uas)[2].value, "<sip:p3.example.com>");
  EXPECT_FALSE((*uas)[2].loose);
  auto uac = route_set_from(m, DialogRole::kUac);
  ASSERT_TRUE(uac.has_value());
  EXPECT_EQ((*uac)[0].uri, "sip:p3.example.com");
  EXPECT_EQ((*uac)[2].uri, "sip:p1.example.com;lr");
}

TEST(DialogRoutes, NoRecordRouteIsAnEmptySetAndGarbageIsAnError) {
  auto none = route_set_from(parse(with_record_route("")), DialogRole::kUac);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(
      route_set_from(parse(with_record_route("Record-Route: <sip:p1;lr\r\n")), DialogRole::kUas)
          .has_value());
  EXPECT_FALSE(
      route_set_from(parse(with_record_route("Record-Route: <tel:+1555>\r\n")), DialogRole::kUas)
          .has_value());
}

RouteHop hop(std::string uri, bool loose) {
  return RouteHop{"<" + uri + ">", uri, loose};
}

TEST(DialogAddressing, EmptyRouteSetTargetsTheRemoteTarget) {
  const Addressed a = address_request({}, "sip:bob@192.0.2.2:5070");
  EXPECT_EQ(a.request_uri, "sip:bob@192.0.2.2:5070");
  EXPECT_TRUE(a.route.empty());
  EXPECT_EQ(a.next_hop, "sip:bob@192.0.2.2:5070");
}

TEST(DialogAddressing, LooseFirstHopKeepsTheTargetAndListsEveryRoute) {
  const Addressed a = address_request(
      {hop("sip:p1.example.com;lr", true), hop("sip:p2.example.com", false)}, "sip:bob@b.example");
  EXPECT_EQ(a.request_uri, "sip:bob@b.example");
  EXPECT_EQ(a.route, (std::vector<std::string>{"<sip:p1.example.com;lr>", "<sip:p2.example.com>"}));
  EXPECT_EQ(a.next_hop, "sip:p1.example.com;lr");
}

TEST(DialogAddressing, StrictFirstHopGoesInTheRequestUriAndTheTargetLast) {
  const Addressed a = address_request({hop("sip:p1.example.com;maddr=192.0.2.9?Subject=x", false),
                                       hop("sip:p2.example.com;lr", true)},
                                      "sip:bob@b.example");
  // §12.2.1.1: URI headers are not allowed in a Request-URI; uri params stay.
  EXPECT_EQ(a.request_uri, "sip:p1.example.com;maddr=192.0.2.9");
  EXPECT_EQ(a.route, (std::vector<std::string>{"<sip:p2.example.com;lr>", "<sip:bob@b.example>"}));
  EXPECT_EQ(a.next_hop, "sip:p1.example.com;maddr=192.0.2.9?Subject=x");
}

DialogState sample_state() {
  DialogState d;
  d.call_id = "c1@x";
  d.local_tag = "l1";
  d.remote_tag = "r1";
  d.local_party = "\"A\" <sip:a@example.com>;tag=l1";
  d.remote_party = "<sip:b@example.com>;tag=r1";
  d.local_contact = "<sip:a@192.0.2.1>";
  d.remote_target = "sip:b@192.0.2.2";
  d.routes = {hop("sip:192.0.2.50;lr", true)};
  return d;
}

TEST(DialogState, BuildsInDialogRequestsWithTagsRoutesAndCSeq) {
  const DialogState d = sample_state();
  for (const char* method : {"BYE", "INVITE", "UPDATE", "INFO", "REFER", "NOTIFY", "OPTIONS"}) {
    MessageBuilder b = d.make_request(method, 7);
    b.prepend_header("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKt");
    auto m = b.build();
    ASSERT_TRUE(m.has_value()) << method;
    EXPECT_EQ(m->method(), method);
    EXPECT_EQ(m->request_uri().text, "sip:b@192.0.2.2");
    EXPECT_EQ(m->from().tag(), "l1");
    EXPECT_EQ(m->to().tag(), "r1");
    EXPECT_EQ(m->call_id(), "c1@x");
    EXPECT_EQ(m->cseq().number, 7u);
    EXPECT_EQ(m->cseq().method, method);
    EXPECT_EQ(m->header(HeaderId::kRoute), "<sip:192.0.2.50;lr>");
    const bool wants_contact =
        std::string_view(method) == "INVITE" || std::string_view(method) == "UPDATE" ||
        std::string_view(method) == "REFER" || std::string_view(method) == "NOTIFY";
    EXPECT_EQ(m->contacts().entries.size(), wants_contact ? 1u : 0u) << method;
  }
  EXPECT_EQ(d.next_hop(), "sip:192.0.2.50;lr");
}

TEST(DialogHelpers, StripTagKeepsOtherParamsAndTheName) {
  const Message m = parse(
      "OPTIONS sip:x@y SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKq\r\n"
      "From: \"Al\" <sip:alice@example.com;user=phone>;x=1;tag=abc;y\r\n"
      "To: sip:bob@example.com;tag=zz\r\n"
      "Call-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(strip_tag(m.from()), "\"Al\" <sip:alice@example.com;user=phone>;x=1;y");
  EXPECT_EQ(strip_tag(m.to()), "sip:bob@example.com");
}

TEST(DialogHelpers, KeysSessionDescriptionsAndTargetRefresh) {
  EXPECT_NE(dialog_key("a", "b", "c"), dialog_key("a", "c", "b"));
  EXPECT_NE(dialog_key("ab", "c", "d"), dialog_key("a", "bc", "d"));
  EXPECT_TRUE(is_target_refresh("INVITE"));
  EXPECT_TRUE(is_target_refresh("UPDATE"));
  EXPECT_FALSE(is_target_refresh("INFO"));
  Content c;
  EXPECT_FALSE(c.has_session_description());
  c.body = "v=0\r\n";
  EXPECT_TRUE(c.has_session_description());
  c.content_type = "Application/SDP";
  EXPECT_TRUE(c.has_session_description());
  c.content_type = "application/dtmf-relay";
  EXPECT_FALSE(c.has_session_description());
  EXPECT_EQ(to_string(TerminationReason::kNoAck), "no-ack");
  EXPECT_EQ(to_string(OfferState::kRemoteOffer), "remote-offer");
}

}  // namespace
}  // namespace hotline::sip
