// Client transactions (RFC 3261 §17.1, RFC 6026 §8.4): INVITE (Calling,
// Proceeding, Completed, Accepted; Timers A, B, D, M) and non-INVITE (Trying,
// Proceeding, Completed; Timers E, F, K).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "sip/transaction_layer.hpp"

namespace hotline::sip {
namespace {

bool is_client(TransactionKind k) {
  return k == TransactionKind::kInviteClient || k == TransactionKind::kNonInviteClient;
}

}  // namespace

Result<TransactionId> TransactionLayer::send_request(const MessageBuilder& request,
                                                     const Peer& destination) {
  const std::string sent_by =
      config_.via_sent_by.empty() ? destination.local.to_string() : config_.via_sent_by;
  MessageBuilder with_via = request;
  with_via.prepend_header(
      "Via", fmt::format("SIP/2.0/{} {};branch={}{};rport", via_name(destination.transport),
                         sent_by, kBranchCookie, random_hex()));
  auto built = with_via.build();
  if (!built) {
    return fail(ErrorCode::kInvalidArgument, "request does not parse: " + built.error().reason);
  }
  return send_request(std::move(*built), destination);
}

Result<TransactionId> TransactionLayer::send_request(Message request, const Peer& destination) {
  Entry entry(*this);
  return start_client(std::move(request), destination);
}

Result<TransactionId> TransactionLayer::start_client(Message request, const Peer& destination) {
  if (!request.is_request()) return fail(ErrorCode::kInvalidArgument, "not a request");
  if (request.method() == "ACK") {
    // ACK for a non-2xx is the INVITE transaction's own; ACK for a 2xx is the
    // dialog's and goes straight to the transport.
    return fail(ErrorCode::kInvalidArgument, "ACK is not sent as a transaction");
  }
  if (request.vias().empty() || !has_rfc3261_branch(request.vias().front())) {
    return fail(ErrorCode::kInvalidArgument, "top Via needs an RFC 3261 branch (z9hG4bK...)");
  }
  if (full()) {
    ++stats_.overloaded;
    emit(TransactionEvent::Type::kOverloaded, nullptr, 0, std::nullopt, request.method());
    return fail(ErrorCode::kResourceExhausted,
                fmt::format("{} live transactions (the cap)", config_.max_transactions));
  }
  auto key = client_key(request);
  if (!key) return fail(ErrorCode::kInvalidArgument, "request has no branch");
  if (client_index_.contains(*key)) {
    return fail(ErrorCode::kAlreadyExists, "a client transaction with this branch exists");
  }
  const bool invite = request.method() == "INVITE";
  Transaction& t =
      create(invite ? TransactionKind::kInviteClient : TransactionKind::kNonInviteClient,
             invite ? TransactionState::kCalling : TransactionState::kTrying, std::move(*key));
  t.peer = destination;
  t.reliable = is_reliable(destination.transport);
  t.request.emplace(std::move(request));
  t.interval = config_.t1;
  emit(TransactionEvent::Type::kCreated, &t);
  sender_.send(t.peer, std::string(t.request->wire()));
  // Timer A / E retransmit over datagrams only (§17.1.1.2, §17.1.2.2).
  if (!t.reliable) arm(t, invite ? TimerName::kA : TimerName::kE, config_.t1);
  arm(t, invite ? TimerName::kB : TimerName::kF, 64 * config_.t1);
  return t.id;
}

Result<TransactionId> TransactionLayer::cancel(TransactionId invite_id) {
  Entry entry(*this);
  Transaction* t = find(invite_id);
  if (t == nullptr || t->kind != TransactionKind::kInviteClient ||
      t->state == TransactionState::kTerminated) {
    return fail(ErrorCode::kNotFound,
                fmt::format("no live INVITE client transaction {}", invite_id));
  }
  if (t->state != TransactionState::kProceeding) {
    // §9.1: no CANCEL before a provisional response; none after a final one.
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("INVITE {} is {}, not Proceeding", invite_id, to_string(t->state)));
  }
  auto built = make_cancel(*t->request).build();
  if (!built) return fail(ErrorCode::kInternal, "CANCEL does not parse: " + built.error().reason);
  return start_client(std::move(*built), t->peer);
}

void TransactionLayer::on_response(Message response) {
  auto key = client_key(response);
  auto it = key ? client_index_.find(*key) : client_index_.end();
  Transaction* t = it == client_index_.end() ? nullptr : find(it->second);
  if (t == nullptr) {
    // §18.1.2 / RFC 6026 §8.5: stray responses are dropped (and counted).
    ++stats_.stray_responses;
    emit(TransactionEvent::Type::kStrayResponse, nullptr, response.status_code(), std::nullopt,
         response.cseq().method);
    return;
  }
  client_response(*t, response);
}

void TransactionLayer::client_response(Transaction& t, const Message& response) {
  const int status = response.status_code();
  const TransactionId id = t.id;
  const auto absorb = [&] {
    ++stats_.absorbed;
    emit(TransactionEvent::Type::kAbsorbed, &t, status);
  };
  if (t.kind == TransactionKind::kInviteClient) {
    switch (t.state) {
      case TransactionState::kCalling:
      case TransactionState::kProceeding:
        disarm(t, TimerName::kA);
        disarm(t, TimerName::kB);
        if (status < 200) {
          set_state(t, TransactionState::kProceeding);
          tu_.on_response(id, response);
        } else if (status < 300) {
          // RFC 6026: Accepted keeps absorbing nothing but lets 2xx through to the
          // TU until Timer M, so the dialog can ACK retransmitted 2xx.
          set_state(t, TransactionState::kAccepted);
          arm(t, TimerName::kM, 64 * config_.t1);
          tu_.on_response(id, response);
        } else {
          set_state(t, TransactionState::kCompleted);
          auto ack = make_ack_for_error(*t.request, response).build();
          if (ack) t.ack = std::string(ack->wire());
          if (!t.ack.empty()) sender_.send(t.peer, t.ack);
          if (!t.reliable) {
            arm(t, TimerName::kD, std::max<Duration>(std::chrono::seconds(32), 64 * config_.t1));
          }
          tu_.on_response(id, response);
          if (t.reliable) terminate(t);
        }
        return;
      case TransactionState::kCompleted:
        // A retransmitted final response: re-send the ACK, tell nobody.
        absorb();
        if (status >= 300 && !t.ack.empty()) sender_.send(t.peer, t.ack);
        return;
      case TransactionState::kAccepted:
        if (status >= 200 && status < 300) {
          tu_.on_response(id, response);
        } else {
          absorb();
        }
        return;
      default: absorb(); return;
    }
  }
  switch (t.state) {
    case TransactionState::kTrying:
    case TransactionState::kProceeding:
      if (status < 200) {
        set_state(t, TransactionState::kProceeding);
        tu_.on_response(id, response);
        return;
      }
      disarm(t, TimerName::kE);
      disarm(t, TimerName::kF);
      set_state(t, TransactionState::kCompleted);
      // Timer K lingers to absorb retransmitted finals; zero over streams.
      if (!t.reliable) arm(t, TimerName::kK, config_.t4);
      tu_.on_response(id, response);
      if (t.reliable) terminate(t);
      return;
    default: absorb(); return;
  }
}

void TransactionLayer::client_timer(Transaction& t, TimerName name) {
  switch (name) {
    case TimerName::kA:
      // Doubles without the T2 cap (§17.1.1.2); B ends it after 64*T1.
      if (t.state != TransactionState::kCalling) return;
      sender_.send(t.peer, std::string(t.request->wire()));
      ++stats_.retransmissions;
      emit(TransactionEvent::Type::kRetransmitted, &t, 0, name);
      t.interval *= 2;
      arm(t, TimerName::kA, t.interval);
      return;
    case TimerName::kE:
      if (t.state != TransactionState::kTrying && t.state != TransactionState::kProceeding) return;
      sender_.send(t.peer, std::string(t.request->wire()));
      ++stats_.retransmissions;
      emit(TransactionEvent::Type::kRetransmitted, &t, 0, name);
      // Trying doubles up to T2; Proceeding retransmits every T2 (§17.1.2.2).
      t.interval = t.state == TransactionState::kProceeding ? config_.t2
                                                            : std::min(2 * t.interval, config_.t2);
      arm(t, TimerName::kE, t.interval);
      return;
    case TimerName::kB:
    case TimerName::kF: client_timeout(t, name); return;
    case TimerName::kD:
    case TimerName::kK:
    case TimerName::kM: terminate(t); return;
    default: return;
  }
}

void TransactionLayer::client_timeout(Transaction& t, TimerName name) {
  ++stats_.timeouts;
  emit(TransactionEvent::Type::kTimeout, &t, 408, name);
  const TransactionId id = t.id;
  auto timeout = make_local_response(*t.request, 408, "Request Timeout").build();
  if (timeout) tu_.on_timeout(id, name, *timeout);
  if (Transaction* still = find(id); still != nullptr && is_client(still->kind)) terminate(*still);
}

}  // namespace hotline::sip
