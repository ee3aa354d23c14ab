// SIP transaction vocabulary (RFC 3261 §17, RFC 6026): kinds, states, timers named
// as in the RFC, configuration, the transaction-user seam, observable events, and
// the pure helpers that compute matching keys and build the few messages the
// transaction layer writes itself (100 Trying, 503, ACK for non-2xx, CANCEL).
//
// Thread-safety: plain values and pure functions. A TransactionUser is called on
// the thread that drives the TransactionLayer (the control loop).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "sip/message.hpp"
#include "sip/peer.hpp"
#include "sip/serializer.hpp"

namespace hotline::sip {

// Unique for the life of a TransactionLayer; never 0 and never reused.
using TransactionId = std::uint64_t;

enum class TransactionKind : std::uint8_t {
  kInviteClient,
  kNonInviteClient,
  kInviteServer,
  kNonInviteServer,
};

// kAccepted is RFC 6026's state for an INVITE transaction that saw a 2xx.
enum class TransactionState : std::uint8_t {
  kCalling,
  kTrying,
  kProceeding,
  kCompleted,
  kConfirmed,
  kAccepted,
  kTerminated,
};

// RFC 3261 Table 4 plus RFC 6026 (L, M). kTrying100 is the INVITE server's
// "send 100 Trying if the TU has not answered within 200 ms" (§17.2.1); it is not
// an RFC letter, so it is named for what it does.
enum class TimerName : std::uint8_t { kA, kB, kD, kE, kF, kG, kH, kI, kJ, kK, kL, kM, kTrying100 };
inline constexpr std::size_t kTimerCount = 13;

std::string_view to_string(TransactionKind k);
std::string_view to_string(TransactionState s);
std::string_view to_string(TimerName t);

// What happens to a new request when `max_transactions` are alive.
enum class OverloadPolicy : std::uint8_t {
  kReject503,  // answer statelessly with 503 + Retry-After (ACKs are never answered)
  kDrop,       // say nothing; the client retransmits and may find room later
};

struct TransactionConfig {
  Duration t1 = std::chrono::milliseconds(500);  // RTT estimate
  Duration t2 = std::chrono::seconds(4);         // cap on non-INVITE / response retransmit
  Duration t4 = std::chrono::seconds(5);         // how long a message lingers in the network
  // The INVITE server sends 100 Trying this long after the INVITE unless the TU
  // answered first; zero sends it at once.
  Duration invite_trying_delay = std::chrono::milliseconds(200);
  std::size_t max_transactions = 10'000;
  OverloadPolicy overload = OverloadPolicy::kReject503;
  std::uint32_t retry_after_seconds = 5;
  // sent-by written into the Via of requests we originate; when empty, the local
  // endpoint of the destination Peer is used.
  std::string via_sent_by;
  // Draws for Via branches and the To tags of responses the layer writes itself.
  // Injected so tests are reproducible; the live server seeds it from the OS.
  std::function<std::uint64_t()> random;
};

// The seam to the layer above (dialogs, registrar, switch). Callbacks run inside
// TransactionLayer calls; the TU may call back into the layer (respond,
// send_request, cancel) from any of them. Message references are valid only for
// the duration of the callback.
class TransactionUser {
 public:
  virtual ~TransactionUser() = default;
  // A new request created server transaction `id` (never ACK or CANCEL).
  virtual void on_request(TransactionId id, const Message& request, const Peer& source) = 0;
  // A response for client transaction `id`: every provisional, the final
  // non-2xx once, and every 2xx of an INVITE (RFC 6026: retransmissions too, so
  // the dialog can re-ACK them).
  virtual void on_response(TransactionId id, const Message& response) = 0;
  // CANCEL `cancel_id` matched INVITE server transaction `invite_id` that has not
  // sent a final response. The layer has already answered the CANCEL with 200;
  // the TU should now answer the INVITE with 487.
  virtual void on_cancel(TransactionId invite_id, TransactionId cancel_id,
                         const Message& cancel) = 0;
  // An ACK that is not absorbed by a transaction: the ACK for a 2xx (matched to an
  // INVITE server transaction in Accepted, or to none) goes to the dialog layer.
  virtual void on_ack(std::optional<TransactionId> invite_id, const Message& ack,
                      const Peer& source) = 0;
  // Timer B or F fired: the TU treats it as the synthesized 408 it is given. Timer
  // H (no ACK for a non-2xx final response) passes the original INVITE instead.
  virtual void on_timeout(TransactionId id, TimerName timer, const Message& synthesized) = 0;
  // The transport could not deliver for this transaction (§17.1.4, §17.2.4).
  virtual void on_transport_error(TransactionId id) = 0;
  // Last call for `id`; the layer forgets it when the current call returns.
  virtual void on_terminated(TransactionId id) = 0;
};

// Something the owner may log or count; the layer itself never logs.
struct TransactionEvent {
  enum class Type : std::uint8_t {
    kCreated,
    kStateChanged,
    kRetransmitted,  // a timer re-sent a request or a response
    kAbsorbed,       // a retransmission from the network was swallowed or re-answered
    kTimeout,
    kTransportError,
    kOverloaded,     // a new request was refused because of max_transactions
    kStrayResponse,  // a response matched no client transaction
    kUnmatched,      // a request could not be keyed (no Via) or collided
  };
  Type type = Type::kCreated;
  TransactionId id = 0;  // 0 when there is no transaction (stray, overload)
  TransactionKind kind = TransactionKind::kNonInviteServer;
  TransactionState state = TransactionState::kTrying;
  std::optional<TimerName> timer;
  std::string_view method;  // of the request, or of the response's CSeq
  int status = 0;           // response code involved, if any
};

struct TransactionStats {
  std::uint64_t client_created = 0;
  std::uint64_t server_created = 0;
  std::uint64_t terminated = 0;
  std::uint64_t retransmissions = 0;
  std::uint64_t absorbed = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t transport_errors = 0;
  std::uint64_t overloaded = 0;
  std::uint64_t stray_responses = 0;
  std::uint64_t unmatched = 0;
};

inline constexpr std::string_view kBranchCookie = "z9hG4bK";

// True when the Via carries an RFC 3261 branch (starts with the magic cookie).
bool has_rfc3261_branch(const Via& via);

// The key a server transaction is found by (§17.2.3). `method` replaces the
// request's own (pass "INVITE" to find the INVITE an ACK or CANCEL belongs to).
// With an RFC 3261 branch: branch, sent-by and method. Without one (RFC 2543):
// Request-URI, From tag, Call-ID, CSeq number, top Via and method; the To tag is
// compared by the caller, since an ACK carries the tag of the response instead.
std::optional<std::string> server_key(const Message& request, std::string_view method);
// The key a client transaction is found by (§17.1.3): top-Via branch and CSeq
// method. Requests we send always carry an RFC 3261 branch.
std::optional<std::string> client_key(const Message& message);

// A response to `request` (§8.2.6): Via (top one stamped with received/rport for
// `source`), From, To (with `to_tag` added when To has no tag and the tag is not
// empty), Call-ID and CSeq copied. The TU adds Contact, body, etc.
MessageBuilder make_response(const Message& request, const Peer& source, int status,
                             std::string reason, std::string_view to_tag = {});
// The same without stamping the top Via: for responses synthesized locally (the
// 408 a client transaction hands its TU when Timer B or F fires).
MessageBuilder make_local_response(const Message& request, int status, std::string reason);

// ACK for a non-2xx final response (§17.1.1.3): same Request-URI, Call-ID, From,
// CSeq number, top Via and Route as `invite`; To from `response`.
MessageBuilder make_ack_for_error(const Message& invite, const Message& response);

// CANCEL for `request` (§9.1): same Request-URI, Call-ID, From, To, CSeq number,
// top Via (hence the same branch) and Route.
MessageBuilder make_cancel(const Message& request);

}  // namespace hotline::sip
