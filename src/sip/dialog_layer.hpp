// The SIP dialog layer (RFC 3261 §12–15, RFC 3311 UPDATE, RFC 6026): UAC and UAS
// dialogs on top of the transaction layer, as pure logic. It owns the
// TransactionLayer (it is that layer's TransactionUser), so the owner feeds one
// object: messages through on_message(), time through on_timer(now), and arms one
// Asio timer for next_deadline(). Bytes leave through the MessageSender (the ACK
// for a 2xx and 2xx retransmissions go there directly; everything else through
// transactions). Everything the call layer must know or decide goes through the
// DialogUser.
//
// What the layer does itself:
//  * matches in-dialog requests (§12.2.2): unknown dialog → 481, missing or empty
//    tags → 400, CSeq lower than the last seen → 500; a dialog-creating INVITE
//    that reached us twice by different paths → 482 (§8.2.2.2);
//  * creates dialogs: UAS on the first 101–199 with our tag or the 2xx the user
//    sends to a dialog-creating INVITE; UAC on every 1xx with a To tag (one early
//    dialog per fork) and on the 2xx, which confirms it;
//  * keeps the route set (Record-Route, reversed for the UAC), the remote target
//    (Contact, refreshed by re-INVITE/UPDATE and their 2xx) and both CSeq
//    numbers, and addresses requests for loose and strict routers (§12.2.1.1);
//  * retransmits our 2xx to INVITE until the ACK comes (T1 doubling to T2), and
//    after 64*T1 without one sends BYE (§13.3.1.4, §14.2);
//  * ACKs every 2xx to our INVITEs, retransmissions included, with the INVITE's
//    CSeq number (§13.2.2.4); a 2xx from a second fork is ACKed and released
//    with BYE;
//  * answers BYE with 200 (and a pending INVITE with 487), CANCEL of a pending
//    INVITE with 487; re-INVITE/UPDATE glare with 491 (our INVITE or offer is
//    outstanding) or 500 + Retry-After (theirs is), per §14.2 and RFC 3311 §5.2;
//    after a 491 to ours it arms the §14.1 retry timer and tells the user;
//  * tracks the offer/answer phase per dialog from which messages carry a session
//    description, without reading SDP;
//  * terminates dialogs on BYE, a non-2xx final to the creating INVITE, CANCEL,
//    481/408 (or timeout) to an in-dialog request, and a missing ACK.
//
// Thread-safety: none; one owner (the control loop) calls every method.
//
// Invariants:
//  1. A live dialog is in the index under dialog_key(call-id, local tag, remote
//     tag); a terminated one is in none and is erased when the outermost call into
//     the layer returns, so DialogState pointers stay valid through a callback.
//  2. A new dialog-creating INVITE (ours or theirs) is refused while live dialogs
//     plus pending dialog-creating INVITEs reach config.max_dialogs; early
//     dialogs are created only below max_dialogs, at most max_forks per INVITE.
//  3. At most one INVITE transaction per dialog is pending in each direction, and
//     never one of ours while one of theirs is (and the other way round).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "sip/dialog.hpp"
#include "sip/transaction_layer.hpp"

namespace hotline::sip {

struct DialogConfig {
  // Live dialogs plus pending dialog-creating INVITEs; a new INVITE over the cap
  // gets 503 + Retry-After.
  std::size_t max_dialogs = 10'000;
  // Early dialogs one outgoing INVITE may create (one per fork).
  std::size_t max_forks = 16;
  std::uint32_t retry_after_seconds = 5;
  // Our Contact for responses when the user gives none (a 2xx needs one).
  std::string default_contact;
  // The host part of Call-IDs we create ("<random>@<host>"); none when empty.
  std::string call_id_host;
  // sent-by of the Via in ACKs for 2xx; else the local endpoint of the peer.
  std::string via_sent_by;
  // Send every in-dialog request to the transport path the dialog was set up on
  // (the source of the INVITE, or where we sent ours) instead of resolving the
  // route set / remote target: for NATed phones without a proxy.
  bool stick_to_peer = false;
  // Resolves the next-hop URI of an in-dialog request (§8.1.2). When unset, a
  // numeric host is used as is (port 5060, 5061 for sips/TLS, transport from the
  // `transport` parameter); a next hop equal to the dialog's own path reuses it.
  std::function<std::optional<Peer>(const Uri& next_hop)> resolve;
  // Draws for tags, Call-IDs, ACK branches, glare and Retry-After delays; when
  // unset the transaction layer's generator is used.
  std::function<std::uint64_t()> random;
};

struct DialogStats {
  std::uint64_t created_uac = 0;
  std::uint64_t created_uas = 0;
  std::uint64_t confirmed = 0;
  std::uint64_t terminated = 0;
  std::uint64_t bad_request = 0;        // 400: tags, Contact, Record-Route
  std::uint64_t no_dialog = 0;          // 481
  std::uint64_t cseq_out_of_order = 0;  // 500
  std::uint64_t glare = 0;              // 491 sent
  std::uint64_t retry_later = 0;        // 500 + Retry-After sent (their INVITE/offer pending)
  std::uint64_t overloaded = 0;         // 503 over max_dialogs
  std::uint64_t merged = 0;             // 482: the same INVITE by another path (§8.2.2.2)
  std::uint64_t ok_retransmissions = 0;
  std::uint64_t ack_retransmissions = 0;
  std::uint64_t no_ack = 0;
  std::uint64_t stray_acks = 0;
  std::uint64_t forked_extra = 0;
};

// A request handed to the user. `dialog` is set for requests inside a dialog;
// empty for a dialog-creating INVITE and for requests outside any dialog (which
// are never INVITE with a To tag). Answer with DialogLayer::respond(txn, ...).
struct IncomingRequest {
  TransactionId txn = 0;
  std::optional<DialogId> dialog;
  const Message& request;
  const Peer& source;
};

// A response to a request the user sent (INVITE, in-dialog, or outside any
// dialog). `dialog` is the dialog it belongs to or created (an early dialog for a
// 1xx with a To tag). Timeouts arrive as a synthesized 408 with `timeout` set.
// After a 491, `glare_retry` says when on_glare_retry will fire (§14.1).
struct ResponseEvent {
  TransactionId txn = 0;
  std::optional<DialogId> dialog;
  const Message& response;
  bool timeout = false;
  std::optional<Duration> glare_retry;
};

// The seam to the call layer. Callbacks run inside DialogLayer calls; the user may
// call back into the layer from any of them. References are valid only for the
// callback.
class DialogUser {
 public:
  virtual ~DialogUser() = default;
  // A dialog-creating INVITE, a request inside a dialog (re-INVITE, UPDATE, INFO,
  // NOTIFY, REFER, OPTIONS, PRACK, MESSAGE, ...; never BYE, which the layer
  // answers), or a request outside any dialog (REGISTER, OPTIONS, ...). The user
  // answers every one with respond().
  virtual void on_request(const IncomingRequest& request) = 0;
  virtual void on_response(const ResponseEvent& response) = 0;
  // The ACK for our 2xx (it carries the answer when our 2xx carried the offer).
  virtual void on_ack(DialogId dialog, const Message& ack) = 0;
  // The peer CANCELled INVITE `invite`; the layer has answered it 487.
  virtual void on_cancelled(TransactionId invite, std::optional<DialogId> dialog) = 0;
  // The §14.1 timer after a 491 to our re-INVITE/UPDATE fired: the user may retry.
  virtual void on_glare_retry(DialogId dialog, std::string_view method) = 0;
  // The transport could not deliver request `txn` (§17.1.4).
  virtual void on_transport_error(TransactionId txn, std::optional<DialogId> dialog) = 0;
  // Last call for `dialog`. `cause` is the message that ended it, if any.
  virtual void on_terminated(DialogId dialog, TerminationReason reason, const Message* cause) = 0;
};

// A dialog-creating INVITE to send.
struct OutgoingInvite {
  std::string request_uri;         // the initial remote target
  std::string from;                // name-addr without tag (the layer adds ours)
  std::string to;                  // name-addr without tag
  std::string contact;             // our Contact value, e.g. "<sip:hotline@192.0.2.1>"
  std::vector<std::string> route;  // a preloaded route set (Route values), usually empty
  Peer destination;                // where the INVITE goes (the call layer resolved it)
  Content content;                 // the offer (or no body: the offer comes in the 2xx)
  std::string call_id;             // empty: the layer makes one
  // When set, the layer does not ACK a 2xx by itself: the user calls ack() (with
  // the answer, when the 2xx carried the offer). Retransmitted 2xx get that ACK.
  bool defer_ack = false;
};

// A response the user sends with respond().
struct Reply {
  int status = 200;
  std::string reason = "OK";
  // Our Contact for 1xx/2xx to INVITE and 2xx to UPDATE; empty: the dialog's, else
  // DialogConfig::default_contact.
  std::string contact;
  Content content;
};

class DialogLayer final : public TransactionUser {
 public:
  // REQUIRES: sender, user and clock outlive the layer; transactions.random or
  // config.random is set.
  DialogLayer(MessageSender& sender, DialogUser& user, const Clock& clock,
              TransactionConfig transactions, DialogConfig config);
  DialogLayer(const DialogLayer&) = delete;
  DialogLayer& operator=(const DialogLayer&) = delete;

  // ---- Inputs from the transport (forwarded to the transaction layer).
  void on_message(Message message, const Peer& source) {
    Entry e(*this);
    tl_.on_message(std::move(message), source);
  }
  // Fires the transaction layer's timers and the layer's own (2xx retransmission,
  // ACK wait, glare retry) due at or before `now`. Returns how many fired.
  std::size_t on_timer(MonoTime now);
  std::optional<MonoTime> next_deadline();
  void transport_failed(const Peer& peer) {
    Entry e(*this);
    tl_.transport_failed(peer);
  }

  // ---- Inputs from the user.
  // Sends a dialog-creating INVITE; responses arrive through on_response with the
  // returned transaction id.
  Result<TransactionId> invite(const OutgoingInvite& invite);
  // CANCELs our INVITE `txn` (§9.1). Before any provisional response the CANCEL
  // waits for the first one.
  Status cancel(TransactionId txn);
  // Answers request `txn`. (A request outside any dialog may instead be answered
  // through transactions().response_for()/respond() directly, e.g. by a registrar
  // that builds its own response; dialog requests must come through here.)
  // For a dialog-creating INVITE a 101–199 creates the
  // (early) dialog and a 2xx confirms it; returns the dialog the response belongs
  // to, if any. A 2xx to an INVITE is retransmitted until the ACK.
  Result<std::optional<DialogId>> respond(TransactionId txn, const Reply& reply);
  // Sends a request inside `dialog`: INVITE (re-INVITE), UPDATE, INFO, NOTIFY,
  // REFER, OPTIONS, MESSAGE, PRACK... Not ACK, CANCEL or BYE (see ack/cancel/bye).
  // kFailedPrecondition for a re-INVITE while an INVITE is pending in either
  // direction, or an offer while one is outstanding.
  Result<TransactionId> request(DialogId dialog, std::string_view method,
                                const Content& content = {});
  // Ends `dialog` with BYE; on_terminated(kLocalBye) follows its final response.
  // A UAS whose 2xx is not yet ACKed sends the BYE when the ACK arrives (or the
  // wait ends); the result is then 0.
  Result<TransactionId> bye(DialogId dialog, const Content& content = {});
  // The ACK for the 2xx to our INVITE when it was deferred (OutgoingInvite::
  // defer_ack), carrying the answer if the 2xx carried the offer.
  Status ack(DialogId dialog, const Content& content = {});
  // A request outside any dialog (OPTIONS ping, REGISTER to a trunk); its
  // responses come to on_response without a dialog. Not INVITE.
  Result<TransactionId> send_request(const MessageBuilder& request, const Peer& destination);
  // Forgets `dialog` without signalling (shutdown); on_terminated(kShutdown).
  void terminate(DialogId dialog);

  // ---- Observation.
  const DialogState* find(DialogId dialog) const;
  // The live dialog with this identity, if any.
  std::optional<DialogId> lookup(std::string_view call_id, std::string_view local_tag,
                                 std::string_view remote_tag) const;
  std::size_t size() const { return index_.size(); }
  const DialogStats& stats() const { return stats_; }
  const DialogConfig& config() const { return config_; }
  TransactionLayer& transactions() { return tl_; }
  const TransactionLayer& transactions() const { return tl_; }

  // ---- TransactionUser (called by the transaction layer only).
  void on_request(TransactionId id, const Message& request, const Peer& source) override;
  void on_response(TransactionId id, const Message& response) override;
  void on_cancel(TransactionId invite_id, TransactionId cancel_id, const Message& cancel) override;
  void on_ack(std::optional<TransactionId> invite_id, const Message& ack,
              const Peer& source) override;
  void on_timeout(TransactionId id, TimerName timer, const Message& synthesized) override;
  void on_transport_error(TransactionId id) override;
  void on_terminated(TransactionId id) override;

 private:
  struct Dialog : DialogState {
    TransactionId attempt = 0;     // UAC: the dialog-creating INVITE
    TransactionId creating = 0;    // UAS: the dialog-creating INVITE (server)
    TransactionId out_invite = 0;  // our INVITE without a final response yet
    TransactionId in_invite = 0;   // their INVITE we have not answered finally yet
    bool owns_call_id = false;     // we chose the Call-ID (§14.1 glare timer)
    // UAS: our 2xx waiting for its ACK.
    bool awaiting_ack = false;
    std::string ok_wire;
    Peer ok_to;
    std::uint32_t ok_cseq = 0;
    Duration ok_interval{};
    std::uint32_t ok_generation = 0;
    // UAC: the ACK for the latest 2xx, re-sent for each retransmission of it.
    std::string ack_wire;
    Peer ack_to;
    std::uint32_t ack_cseq = 0;
    bool defer_ack = false;
    std::uint32_t unacked_cseq = 0;  // a 2xx the user has not ACKed yet (deferred)
    // Ending.
    bool bye_sent = false;
    bool bye_after_ack = false;
    TerminationReason bye_reason = TerminationReason::kLocalBye;
    std::uint32_t creating_cseq = 0;  // UAS: CSeq of the dialog-creating INVITE
    std::string glare_method;
    std::uint32_t glare_generation = 0;
  };
  // Our dialog-creating INVITE.
  struct Attempt {
    std::string call_id;
    std::string local_tag;
    std::string local_party;   // From with our tag
    std::string remote_party;  // To without tag
    std::string local_contact;
    std::string request_uri;
    std::vector<std::string> route;
    std::uint32_t cseq = 0;
    Peer destination;
    bool offer = false;  // the INVITE carried a session description
    bool defer_ack = false;
    bool cancel_pending = false;
    bool answered = false;  // a 2xx arrived (later 2xx from other forks are extra)
    std::vector<DialogId> dialogs;
  };
  struct ClientTxn {
    DialogId dialog = 0;
    std::string method;
    std::uint32_t cseq = 0;
    bool offer = false;
    bool attempt = false;
  };
  struct ServerTxn {
    DialogId dialog = 0;
    std::string method;
    std::uint32_t cseq = 0;
    bool offer = false;
    bool final_sent = false;
    bool initial = false;   // a dialog-creating INVITE
    std::string local_tag;  // our To tag for final responses (initial / outside)
    Peer source;
    Peer reply_to;
    // Dialog-creating INVITE: the UAS dialog state to be (§12.1.1).
    std::string call_id;
    std::string remote_tag;
    std::string remote_party;
    std::string local_party;
    std::string remote_target;
    std::vector<RouteHop> routes;
    std::vector<std::string> record_route;  // raw values, copied into 1xx/2xx
    std::string merge_key;                  // §8.2.2.2: Call-ID, From tag, CSeq
  };
  enum class TimerKind : std::uint8_t { kOkRetransmit, kOkGiveUp, kGlare };
  struct TimerEntry {
    MonoTime deadline;
    std::uint64_t seq = 0;
    DialogId dialog = 0;
    TimerKind kind = TimerKind::kOkRetransmit;
    std::uint32_t generation = 0;
    bool operator>(const TimerEntry& o) const {
      return deadline != o.deadline ? deadline > o.deadline : seq > o.seq;
    }
  };
  class Entry {
   public:
    explicit Entry(DialogLayer& l) : l_(l) { ++l_.depth_; }
    ~Entry();
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;

   private:
    DialogLayer& l_;
  };

  MonoTime now() const { return in_timer_ ? timer_now_ : clock_.mono(); }
  std::uint64_t draw();
  std::string random_hex();
  Dialog* live(DialogId id);
  Dialog& create_dialog(DialogRole role, std::string call_id, std::string local_tag,
                        std::string remote_tag);
  void end(Dialog& d, TerminationReason reason, const Message* cause);
  void arm(Dialog& d, TimerKind kind, Duration after);
  void fire(const TimerEntry& e);
  bool stale(const TimerEntry& e);
  Result<Peer> destination(const Dialog& d) const;
  std::uint32_t next_cseq(Dialog& d);
  Result<TransactionId> send_in_dialog(Dialog& d, std::string_view method, const Content& content);
  Status send_ack(Dialog& d, std::uint32_t cseq, const Content& content);
  Result<TransactionId> send_bye(Dialog& d, const Content& content);
  void reject(TransactionId id, int status, std::string reason, std::string_view to_tag = {},
              std::optional<std::uint32_t> retry_after = std::nullopt);
  void update_target(Dialog& d, const Message& m);

  // Incoming requests.
  void dialog_request(TransactionId id, const Message& request, const Peer& source);
  void creating_invite(TransactionId id, const Message& request, const Peer& source);
  // Responses to our requests.
  void handle_response(TransactionId id, const Message& response, bool timeout);
  void attempt_response(TransactionId id, const Message& response, bool timeout);
  void dialog_response(TransactionId id, ClientTxn& c, const Message& response, bool timeout);
  Dialog* fork_dialog(TransactionId id, Attempt& a, const Message& response, bool force);

  MessageSender& sender_;
  DialogUser& user_;
  const Clock& clock_;
  DialogConfig config_;
  TransactionLayer tl_;
  DialogStats stats_;
  std::unordered_map<DialogId, Dialog> dialogs_;
  std::unordered_map<std::string, DialogId> index_;
  std::unordered_map<TransactionId, Attempt> attempts_;
  std::unordered_map<TransactionId, ClientTxn> client_;
  std::unordered_map<TransactionId, ServerTxn> server_;
  std::unordered_set<std::string> merged_;  // merge keys of live dialog-creating INVITEs
  std::size_t pending_creating_ = 0;        // server INVITEs that may still create a dialog
  std::vector<DialogId> dead_;
  std::vector<TransactionId> dead_txns_;
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers_;
  std::uint64_t timer_seq_ = 0;
  DialogId next_id_ = 1;
  int depth_ = 0;
  bool in_timer_ = false;
  MonoTime timer_now_{};
};

}  // namespace hotline::sip
