#include "sip/dialog.hpp"

#include <algorithm>

#include "sip/scanner.hpp"

namespace hotline::sip {

std::string_view to_string(DialogRole r) {
  return r == DialogRole::kUac ? "uac" : "uas";
}

std::string_view to_string(DialogPhase p) {
  switch (p) {
    case DialogPhase::kEarly: return "early";
    case DialogPhase::kConfirmed: return "confirmed";
    case DialogPhase::kTerminated: return "terminated";
  }
  return "?";
}

std::string_view to_string(OfferState s) {
  switch (s) {
    case OfferState::kStable: return "stable";
    case OfferState::kLocalOffer: return "local-offer";
    case OfferState::kRemoteOffer: return "remote-offer";
  }
  return "?";
}

std::string_view to_string(TerminationReason r) {
  switch (r) {
    case TerminationReason::kLocalBye: return "local-bye";
    case TerminationReason::kRemoteBye: return "remote-bye";
    case TerminationReason::kRejected: return "rejected";
    case TerminationReason::kCancelled: return "cancelled";
    case TerminationReason::kEarlyAbandoned: return "early-abandoned";
    case TerminationReason::kForkedExtra: return "forked-extra";
    case TerminationReason::kNoAck: return "no-ack";
    case TerminationReason::kGone: return "gone";
    case TerminationReason::kTransportError: return "transport-error";
    case TerminationReason::kShutdown: return "shutdown";
  }
  return "?";
}

Result<std::vector<RouteHop>> route_set_from(const Message& message, DialogRole role) {
  auto rr = message.record_routes();
  if (!rr) return std::unexpected(rr.error());
  std::vector<RouteHop> out;
  out.reserve(rr->size());
  for (const NameAddr& na : *rr) {
    if (!na.uri.is_sip()) {
      return fail(ErrorCode::kInvalidArgument, "Record-Route: not a sip/sips URI");
    }
    RouteHop hop;
    hop.uri = std::string(na.uri.text);
    hop.loose = na.uri.params.has("lr");
    // A Route value is always written in name-addr form (§20.34).
    hop.value = na.angle_brackets ? unfold(na.text) : "<" + hop.uri + ">";
    out.push_back(std::move(hop));
  }
  if (role == DialogRole::kUac) std::reverse(out.begin(), out.end());
  return out;
}

Addressed address_request(const std::vector<RouteHop>& routes, std::string_view remote_target) {
  Addressed a;
  if (routes.empty()) {
    a.request_uri = std::string(remote_target);
    a.next_hop = a.request_uri;
    return a;
  }
  a.next_hop = routes.front().uri;
  if (routes.front().loose) {
    a.request_uri = std::string(remote_target);
    for (const RouteHop& h : routes) a.route.push_back(h.value);
    return a;
  }
  // Strict router: it expects to find itself in the Request-URI (§12.2.1.1). URI
  // headers are not allowed in a Request-URI.
  std::string first = routes.front().uri;
  if (auto q = first.find('?'); q != std::string::npos) first.resize(q);
  a.request_uri = std::move(first);
  for (std::size_t i = 1; i < routes.size(); ++i) a.route.push_back(routes[i].value);
  a.route.push_back("<" + std::string(remote_target) + ">");
  return a;
}

MessageBuilder DialogState::make_request(std::string_view method, std::uint32_t cseq) const {
  Addressed a = address_request(routes, remote_target);
  MessageBuilder b = MessageBuilder::request(std::string(method), std::move(a.request_uri));
  b.add_header("Max-Forwards", "70");
  for (std::string& r : a.route) b.add_header("Route", std::move(r));
  b.add_header("From", local_party);
  b.add_header("To", remote_party);
  b.add_header("Call-ID", call_id);
  b.add_header("CSeq", std::to_string(cseq) + " " + std::string(method));
  if (!local_contact.empty() &&
      (is_target_refresh(method) || method == "REFER" || method == "NOTIFY")) {
    b.add_header("Contact", local_contact);
  }
  return b;
}

std::string DialogState::next_hop() const {
  return routes.empty() ? remote_target : routes.front().uri;
}

std::string dialog_key(std::string_view call_id, std::string_view local_tag,
                       std::string_view remote_tag) {
  std::string key;
  key.reserve(call_id.size() + local_tag.size() + remote_tag.size() + 2);
  key.append(call_id).push_back('\x1f');
  key.append(local_tag).push_back('\x1f');
  key.append(remote_tag);
  return key;
}

bool has_session_description(const Message& message) {
  return !message.body().empty() && detail::iequals(message.content_type(), "application/sdp");
}

bool is_target_refresh(std::string_view method) {
  return method == "INVITE" || method == "UPDATE";
}

std::string strip_tag(const NameAddr& party) {
  std::string_view text = party.text;
  std::string out;
  if (party.params.empty()) return unfold(text);
  const std::size_t head = static_cast<std::size_t>(party.params.text().data() - text.data());
  out = unfold(detail::trim_lws(text.substr(0, head)));
  std::size_t pos = 0;
  Param p;
  while (party.params.next(pos, p)) {
    if (detail::iequals(p.name, "tag")) continue;
    out.append(";").append(p.name);
    if (p.has_value) out.append("=").append(p.value);
  }
  return out;
}

void Content::apply(MessageBuilder& b) const {
  for (const auto& [name, value] : headers) b.add_header(name, value);
  if (!body.empty()) {
    b.add_header("Content-Type", content_type);
    b.set_body(body);
  }
}

bool Content::has_session_description() const {
  return !body.empty() && detail::iequals(content_type, "application/sdp");
}

}  // namespace hotline::sip
