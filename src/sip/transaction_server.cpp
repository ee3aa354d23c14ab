// Server transactions (RFC 3261 §17.2, RFC 6026 §7.1): INVITE (Proceeding,
// Completed, Confirmed, Accepted; Timers G, H, I, L and the 100 Trying delay) and
// non-INVITE (Trying, Proceeding, Completed; Timer J). CANCEL is a non-INVITE
// server transaction of its own that the layer answers itself.
#include <fmt/format.h>

#include <algorithm>

#include "sip/transaction_layer.hpp"

namespace hotline::sip {
namespace {

std::string to_tag_of(const Message& m) {
  return std::string(m.to().tag().value_or(""));
}

}  // namespace

void TransactionLayer::on_request(Message request, const Peer& source) {
  const bool ack = request.method() == "ACK";
  auto key = server_key(request, ack ? std::string_view("INVITE") : request.method());
  if (!key) {
    ++stats_.unmatched;
    emit(TransactionEvent::Type::kUnmatched, nullptr, 0, std::nullopt, request.method());
    return;
  }
  if (ack) {
    on_ack(request, source, *key);
    return;
  }
  if (auto it = server_index_.find(*key); it != server_index_.end()) {
    Transaction* t = find(it->second);
    if (t != nullptr && t->legacy && to_tag_of(request) != t->request_to_tag) {
      // Same RFC 2543 key, different To tag: not ours and cannot be keyed apart.
      ++stats_.unmatched;
      emit(TransactionEvent::Type::kUnmatched, t, 0, std::nullopt, request.method());
      return;
    }
    if (t != nullptr) retransmitted(*t);
    return;
  }
  if (full()) {
    reject_overload(request, source);
    return;
  }
  const bool invite = request.method() == "INVITE";
  const bool is_cancel = request.method() == "CANCEL";
  Transaction& t =
      create(invite ? TransactionKind::kInviteServer : TransactionKind::kNonInviteServer,
             invite ? TransactionState::kProceeding : TransactionState::kTrying, std::move(*key));
  t.source = source;
  t.peer = response_destination(request.vias().front(), source);
  t.reliable = is_reliable(source.transport);
  t.legacy = !has_rfc3261_branch(request.vias().front());
  t.request_to_tag = to_tag_of(request);
  t.request.emplace(std::move(request));
  emit(TransactionEvent::Type::kCreated, &t);
  if (invite) {
    if (config_.invite_trying_delay <= Duration::zero()) {
      server_timer(t, TimerName::kTrying100);
    } else {
      arm(t, TimerName::kTrying100, config_.invite_trying_delay);
    }
  }
  if (is_cancel) {
    on_cancel(t);
    return;
  }
  tu_.on_request(t.id, *t.request, t.source);
}

void TransactionLayer::on_ack(const Message& ack, const Peer& source, const std::string& key) {
  auto it = server_index_.find(key);
  Transaction* t = it == server_index_.end() ? nullptr : find(it->second);
  if (t != nullptr && t->legacy) {
    // RFC 2543: the ACK carries the To tag of the response it acknowledges.
    const std::string& expected =
        t->response_to_tag.empty() ? t->request_to_tag : t->response_to_tag;
    if (to_tag_of(ack) != expected) t = nullptr;
  }
  if (t == nullptr || t->kind != TransactionKind::kInviteServer) {
    // The ACK for a 2xx carries a new branch: the dialog layer matches it.
    tu_.on_ack(std::nullopt, ack, source);
    return;
  }
  switch (t->state) {
    case TransactionState::kCompleted:
      disarm(*t, TimerName::kG);
      disarm(*t, TimerName::kH);
      set_state(*t, TransactionState::kConfirmed);
      // Timer I absorbs ACK retransmissions; zero over streams (§17.2.1).
      if (t->reliable) {
        terminate(*t);
      } else {
        arm(*t, TimerName::kI, config_.t4);
      }
      return;
    case TransactionState::kAccepted: tu_.on_ack(t->id, ack, source); return;
    default:
      ++stats_.absorbed;
      emit(TransactionEvent::Type::kAbsorbed, t, 0, std::nullopt, "ACK");
      return;
  }
}

void TransactionLayer::on_cancel(Transaction& cancel) {
  auto invite_key = server_key(*cancel.request, "INVITE");
  auto it = invite_key ? server_index_.find(*invite_key) : server_index_.end();
  Transaction* invite = it == server_index_.end() ? nullptr : find(it->second);
  if (invite != nullptr && invite->kind != TransactionKind::kInviteServer) invite = nullptr;
  const TransactionId cancel_id = cancel.id;
  // §9.2: 200 when the CANCEL matches a transaction, 481 when it matches none. The
  // To tag is ours to choose for the CANCEL's own response.
  auto response = make_response(*cancel.request, cancel.source, invite ? 200 : 481,
                                invite ? "OK" : "Call/Transaction Does Not Exist", random_hex())
                      .build();
  if (response) {
    (void)server_respond(cancel, response->status_code(), std::string(response->wire()), {});
  }
  if (invite != nullptr && invite->state == TransactionState::kProceeding) {
    const Transaction* c = find(cancel_id);
    tu_.on_cancel(invite->id, cancel_id, *c->request);
  }
}

void TransactionLayer::retransmitted(Transaction& t) {
  ++stats_.absorbed;
  emit(TransactionEvent::Type::kAbsorbed, &t);
  // INVITE in Accepted/Confirmed: the 2xx is the TU's to retransmit, the ACK was
  // seen; non-INVITE in Trying: nothing has been said yet.
  const bool resend =
      t.kind == TransactionKind::kInviteServer
          ? t.state == TransactionState::kProceeding || t.state == TransactionState::kCompleted
          : t.state != TransactionState::kTrying;
  if (resend && !t.last_response.empty()) sender_.send(t.peer, t.last_response);
}

Status TransactionLayer::server_respond(Transaction& t, int status, std::string wire,
                                        std::string_view to_tag) {
  const auto refuse = [&] {
    return fail(ErrorCode::kFailedPrecondition, fmt::format("transaction {} is {}: cannot send {}",
                                                            t.id, to_string(t.state), status));
  };
  if (t.kind == TransactionKind::kInviteServer) {
    if (t.state == TransactionState::kAccepted) {
      // RFC 6026 §7.1: further 2xx from the TU (its retransmissions) go straight out.
      if (status < 200 || status >= 300) return refuse();
      sender_.send(t.peer, std::move(wire));
      return {};
    }
    if (t.state != TransactionState::kProceeding) return refuse();
    disarm(t, TimerName::kTrying100);
    t.last_status = status;
    t.last_response = std::move(wire);
    sender_.send(t.peer, t.last_response);
    if (status < 200) return {};
    t.response_to_tag = std::string(to_tag);  // an RFC 2543 ACK carries this tag
    if (status < 300) {
      set_state(t, TransactionState::kAccepted);
      arm(t, TimerName::kL, 64 * config_.t1);
      return {};
    }
    set_state(t, TransactionState::kCompleted);
    t.interval = config_.t1;
    if (!t.reliable) arm(t, TimerName::kG, config_.t1);
    arm(t, TimerName::kH, 64 * config_.t1);
    return {};
  }
  if (t.state != TransactionState::kTrying && t.state != TransactionState::kProceeding) {
    return refuse();
  }
  t.last_status = status;
  t.last_response = std::move(wire);
  sender_.send(t.peer, t.last_response);
  if (status < 200) {
    set_state(t, TransactionState::kProceeding);
    return {};
  }
  set_state(t, TransactionState::kCompleted);
  // Timer J absorbs request retransmissions; zero over streams (§17.2.2).
  if (t.reliable) {
    terminate(t);
  } else {
    arm(t, TimerName::kJ, 64 * config_.t1);
  }
  return {};
}

void TransactionLayer::server_timer(Transaction& t, TimerName name) {
  switch (name) {
    case TimerName::kTrying100: {
      if (t.state != TransactionState::kProceeding || t.last_status != 0) return;
      auto trying = make_response(*t.request, t.source, 100, "Trying").build();
      if (!trying) return;
      t.last_status = 100;
      t.last_response = std::string(trying->wire());
      sender_.send(t.peer, t.last_response);
      return;
    }
    case TimerName::kG:
      if (t.state != TransactionState::kCompleted) return;
      sender_.send(t.peer, t.last_response);
      ++stats_.retransmissions;
      emit(TransactionEvent::Type::kRetransmitted, &t, t.last_status, name);
      t.interval = std::min(2 * t.interval, config_.t2);
      arm(t, TimerName::kG, t.interval);
      return;
    case TimerName::kH: {
      // No ACK for our final response: the client is gone (§17.2.1).
      ++stats_.timeouts;
      emit(TransactionEvent::Type::kTimeout, &t, t.last_status, name);
      const TransactionId id = t.id;
      tu_.on_timeout(id, name, *t.request);
      if (Transaction* still = find(id); still != nullptr) terminate(*still);
      return;
    }
    case TimerName::kI:
    case TimerName::kJ:
    case TimerName::kL: terminate(t); return;
    default: return;
  }
}

void TransactionLayer::reject_overload(const Message& request, const Peer& source) {
  ++stats_.overloaded;
  emit(TransactionEvent::Type::kOverloaded, nullptr, 503, std::nullopt, request.method());
  if (config_.overload == OverloadPolicy::kDrop) return;
  MessageBuilder b = make_response(request, source, 503, "Service Unavailable", random_hex());
  b.add_header("Retry-After", std::to_string(config_.retry_after_seconds));
  auto built = b.build();
  if (!built) return;
  sender_.send(response_destination(request.vias().front(), source), std::string(built->wire()));
}

}  // namespace hotline::sip
