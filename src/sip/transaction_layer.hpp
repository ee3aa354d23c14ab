// The SIP transaction layer (RFC 3261 §17, RFC 6026): the four state machines,
// their timers and request/response matching, as pure logic. Messages come in
// through on_message(); time comes in through on_timer(now); bytes leave only
// through the MessageSender; everything the layer above must know goes through the
// TransactionUser. No sockets, no threads, no reading of the clock except the
// injected one.
//
// Thread-safety: none; one owner (the control loop) calls every method.
//
// Invariants:
//  1. Every live transaction is in exactly one index (client or server) under its
//     key; a terminated one is in none and is erased when the outermost call into
//     the layer returns, so Message references handed to the TU stay valid for the
//     whole callback even if the TU's answer terminates the transaction.
//  2. A timer is armed at most once per (transaction, name); re-arming or
//     disarming bumps a generation so stale heap entries fire as no-ops.
//  3. Live transactions never exceed config.max_transactions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "sip/message.hpp"
#include "sip/peer.hpp"
#include "sip/serializer.hpp"
#include "sip/transaction.hpp"

namespace hotline::sip {

class TransactionLayer {
 public:
  // REQUIRES: sender, tu and clock outlive the layer; config.random is set.
  TransactionLayer(MessageSender& sender, TransactionUser& tu, const Clock& clock,
                   TransactionConfig config);
  TransactionLayer(const TransactionLayer&) = delete;
  TransactionLayer& operator=(const TransactionLayer&) = delete;

  // ---- Inputs from the transport.
  // A parsed message from `source` (requests create or match server
  // transactions, responses match client transactions).
  void on_message(Message message, const Peer& source);
  // Fires every timer due at or before `now`, in deadline order. Work a timer
  // causes is timed from the timer's own deadline, so the schedule does not drift
  // when the owner wakes late. Returns how many timers fired.
  std::size_t on_timer(MonoTime now);
  // The earliest armed deadline, if any.
  std::optional<MonoTime> next_deadline();
  // The transport could not reach `peer` (connection refused or reset, ICMP):
  // every transaction talking to it fails (§17.1.4, §17.2.4).
  void transport_failed(const Peer& peer);

  // ---- Inputs from the TU.
  // Starts a client transaction. The layer prepends its Via with a fresh branch
  // (sent-by from config.via_sent_by, else destination.local). Not for ACK.
  Result<TransactionId> send_request(const MessageBuilder& request, const Peer& destination);
  // Starts a client transaction for a ready message whose top Via already has an
  // RFC 3261 branch, which is kept (a CANCEL built by hand, a proxied request).
  Result<TransactionId> send_request(Message request, const Peer& destination);
  // CANCELs INVITE client transaction `invite_id` (§9.1): a new non-INVITE client
  // transaction with the INVITE's branch. REQUIRES: a provisional response was
  // received (state Proceeding); otherwise kFailedPrecondition and the TU retries
  // on the first provisional response.
  Result<TransactionId> cancel(TransactionId invite_id);
  // Sends a response on server transaction `id`. kFailedPrecondition when the
  // transaction has already sent a final response (except further 2xx of an
  // INVITE in Accepted, which the TU retransmits itself per RFC 6026).
  Status respond(TransactionId id, const MessageBuilder& response);
  Status respond(TransactionId id, Message response);
  // make_response() for the request of server transaction `id`.
  Result<MessageBuilder> response_for(TransactionId id, int status, std::string reason,
                                      std::string_view to_tag = {}) const;

  // ---- Observation.
  void set_event_sink(std::function<void(const TransactionEvent&)> sink) {
    sink_ = std::move(sink);
  }
  const TransactionStats& stats() const { return stats_; }
  const TransactionConfig& config() const { return config_; }
  // Live (not yet terminated) transactions.
  std::size_t size() const { return txns_.size() - dead_.size(); }
  // Armed timers (stale heap entries excluded).
  std::size_t armed_timers() const { return armed_; }
  std::optional<TransactionState> state(TransactionId id) const;
  std::optional<TransactionKind> kind(TransactionId id) const;

 private:
  struct Transaction {
    TransactionId id = 0;
    TransactionKind kind = TransactionKind::kNonInviteServer;
    TransactionState state = TransactionState::kTrying;
    std::string key;
    bool reliable = false;
    bool legacy = false;  // RFC 2543 key: To tags are compared by hand
    Peer peer;            // client: destination; server: where responses go
    Peer source;          // server: where the request came from
    std::optional<Message> request;
    std::string last_response;  // server: what retransmitted requests and G re-send
    int last_status = 0;
    std::string ack;  // INVITE client: the ACK for the non-2xx final response
    std::string request_to_tag;
    std::string response_to_tag;
    Duration interval{};  // current A/E/G retransmit interval
    std::array<std::uint32_t, kTimerCount> generation{};
    std::array<bool, kTimerCount> armed{};
  };
  struct TimerEntry {
    MonoTime deadline;
    std::uint64_t seq = 0;  // insertion order breaks ties deterministically
    TransactionId id = 0;
    TimerName name = TimerName::kA;
    std::uint32_t generation = 0;
    bool operator>(const TimerEntry& o) const {
      return deadline != o.deadline ? deadline > o.deadline : seq > o.seq;
    }
  };
  // Defers erasing terminated transactions to the outermost call (invariant 1).
  class Entry {
   public:
    explicit Entry(TransactionLayer& l) : l_(l) { ++l_.depth_; }
    ~Entry();
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;

   private:
    TransactionLayer& l_;
  };

  MonoTime now() const { return in_timer_ ? timer_now_ : clock_.mono(); }
  Transaction* find(TransactionId id);
  const Transaction* find(TransactionId id) const;
  Transaction& create(TransactionKind kind, TransactionState state, std::string key);
  void set_state(Transaction& t, TransactionState s);
  void arm(Transaction& t, TimerName name, Duration after);
  void disarm(Transaction& t, TimerName name);
  void terminate(Transaction& t);
  void fire(Transaction& t, TimerName name);
  void emit(TransactionEvent::Type type, const Transaction* t, int status = 0,
            std::optional<TimerName> timer = std::nullopt, std::string_view method = {});
  std::string random_hex();
  bool full() const { return size() >= config_.max_transactions; }

  // Client side (transaction_client.cpp).
  Result<TransactionId> start_client(Message request, const Peer& destination);
  void on_response(Message response);
  void client_response(Transaction& t, const Message& response);
  void client_timer(Transaction& t, TimerName name);
  void client_timeout(Transaction& t, TimerName name);

  // Server side (transaction_server.cpp).
  void on_request(Message request, const Peer& source);
  void on_ack(const Message& ack, const Peer& source, const std::string& key);
  void on_cancel(Transaction& cancel);
  void retransmitted(Transaction& t);
  // `wire` is the serialized response; `to_tag` its To tag (read for INVITE).
  Status server_respond(Transaction& t, int status, std::string wire, std::string_view to_tag);
  void server_timer(Transaction& t, TimerName name);
  void reject_overload(const Message& request, const Peer& source);

  MessageSender& sender_;
  TransactionUser& tu_;
  const Clock& clock_;
  TransactionConfig config_;
  std::function<void(const TransactionEvent&)> sink_;
  TransactionStats stats_;
  std::unordered_map<TransactionId, Transaction> txns_;
  std::unordered_map<std::string, TransactionId> client_index_;
  std::unordered_map<std::string, TransactionId> server_index_;
  std::vector<TransactionId> dead_;
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers_;
  std::size_t armed_ = 0;
  std::uint64_t timer_seq_ = 0;
  TransactionId next_id_ = 1;
  int depth_ = 0;
  bool in_timer_ = false;
  MonoTime timer_now_{};
};

}  // namespace hotline::sip
