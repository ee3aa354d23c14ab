// SIP dialog vocabulary (RFC 3261 §12–15, RFC 3311): dialog identity, the dialog
// state of §12.1 (route set, remote target, sequence numbers, tags), the
// offer/answer phase the dialog layer tracks without reading SDP, and the pure
// functions that compute route sets and build in-dialog requests. The stateful
// part (matching, timers, the DialogUser seam) is dialog_layer.hpp.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "sip/message.hpp"
#include "sip/peer.hpp"
#include "sip/serializer.hpp"

namespace hotline::sip {

// Unique for the life of a DialogLayer; never 0 and never reused.
using DialogId = std::uint64_t;

enum class DialogRole : std::uint8_t { kUac, kUas };
enum class DialogPhase : std::uint8_t { kEarly, kConfirmed, kTerminated };

// Where the session description exchange stands (RFC 3264 as used by RFC 3261
// §13.2.1 and RFC 3311). The layer only looks at whether a message carries a
// session description (a non-empty application/sdp body); the SDP itself is the
// user's business.
enum class OfferState : std::uint8_t {
  kStable,       // no offer outstanding
  kLocalOffer,   // we sent an offer and wait for the answer
  kRemoteOffer,  // we received an offer and owe the answer
};

// Why a dialog ended; handed to DialogUser::on_terminated.
enum class TerminationReason : std::uint8_t {
  kLocalBye,        // we sent BYE (any final response, or its timeout, ends it)
  kRemoteBye,       // the peer sent BYE (the layer answered 200)
  kRejected,        // non-2xx final response to the dialog-creating INVITE
  kCancelled,       // the dialog-creating INVITE was CANCELled
  kEarlyAbandoned,  // an early dialog whose fork never got a 2xx (INVITE finished)
  kForkedExtra,     // a second 2xx from another fork: ACKed and released with BYE
  kNoAck,           // our 2xx was never ACKed within 64*T1 (we sent BYE)
  kGone,            // 481 or 408 (or a timeout) to an in-dialog request (§12.2.1.2)
  kTransportError,  // the transport could not deliver an in-dialog request
  kShutdown,        // the user asked for it (terminate())
};

std::string_view to_string(DialogRole r);
std::string_view to_string(DialogPhase p);
std::string_view to_string(OfferState s);
std::string_view to_string(TerminationReason r);

// One entry of a route set: the header value to write in Route, the URI inside
// it, and whether that URI carries `lr` (a loose router, RFC 3261 §16.12).
struct RouteHop {
  std::string value;  // "<sip:p1.example.com;lr>" (name-addr form, unfolded)
  std::string uri;    // "sip:p1.example.com;lr"
  bool loose = false;
};

// The route set a dialog records (§12.1.1, §12.1.2): the Record-Route values of
// the request (UAS) in order, or of the response (UAC) reversed. Fails on a
// Record-Route that does not parse.
Result<std::vector<RouteHop>> route_set_from(const Message& message, DialogRole role);

// The request a dialog sends is addressed per §12.2.1.1; this is the result.
struct Addressed {
  std::string request_uri;
  std::vector<std::string> route;  // Route header values, in order
  std::string next_hop;            // the URI whose host the request is sent to (§8.1.2)
};
// Empty route set: Request-URI is the remote target, no Route. Loose first hop:
// Request-URI is the remote target, Route is the route set. Strict first hop:
// Request-URI is the first hop's URI (URI headers stripped), Route is the rest
// followed by the remote target.
Addressed address_request(const std::vector<RouteHop>& routes, std::string_view remote_target);

// The dialog state of §12.1 plus what the layer needs to speak in it.
struct DialogState {
  DialogId id = 0;
  DialogRole role = DialogRole::kUac;
  DialogPhase phase = DialogPhase::kEarly;
  std::string call_id;
  std::string local_tag;
  std::string remote_tag;
  // The From and To values of requests we send: name-addr with our tag / theirs.
  std::string local_party;
  std::string remote_party;
  std::string local_contact;  // our Contact value (sent in target-refresh requests)
  std::string remote_target;  // URI from the peer's last Contact
  std::vector<RouteHop> routes;
  std::optional<std::uint32_t> local_seq;
  std::optional<std::uint32_t> remote_seq;
  OfferState offer = OfferState::kStable;
  // The transport path the dialog was set up on; reused for in-dialog requests
  // whose next hop resolves to the same remote (keeps a TCP connection).
  Peer peer;

  // A request in this dialog (§12.2.1.1): Request-URI and Route per the route
  // set, From/To with tags, Call-ID, CSeq `cseq` `method` (ACK and CANCEL take
  // the number of the request they belong to), Max-Forwards, and our Contact for
  // target-refresh methods (INVITE, UPDATE) and REFER/NOTIFY. No Via: the
  // transaction layer adds it.
  MessageBuilder make_request(std::string_view method, std::uint32_t cseq) const;
  // The URI the request goes to (§8.1.2): first route hop, else the remote target.
  std::string next_hop() const;
};

// "call-id\x1flocal\x1fremote": the key dialogs are found by. Tags compare
// case-sensitively (they are tokens chosen by the UA), Call-IDs too (§20.8).
std::string dialog_key(std::string_view call_id, std::string_view local_tag,
                       std::string_view remote_tag);

// True when the message carries a session description: a non-empty body typed
// application/sdp (case-insensitive).
bool has_session_description(const Message& message);

// Methods that refresh the remote target (§12.2, RFC 3311 §5.1).
bool is_target_refresh(std::string_view method);

// The value of a name-addr header without its `tag` parameter, unfolded; used to
// turn a received From/To into the party a dialog remembers.
std::string strip_tag(const NameAddr& party);

// Body and extra headers a request or response carries. An empty body sends none.
struct Content {
  std::string body;
  std::string content_type = "application/sdp";
  std::vector<std::pair<std::string, std::string>> headers;

  void apply(MessageBuilder& b) const;
  bool has_session_description() const;
};

}  // namespace hotline::sip
