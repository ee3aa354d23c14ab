// Core of the transaction layer: bookkeeping, the timer heap, dispatch and the
// TU-facing entry points. The state machines live in transaction_client.cpp and
// transaction_server.cpp.
#include "sip/transaction_layer.hpp"

#include <fmt/format.h>

#include <utility>

namespace hotline::sip {

TransactionLayer::TransactionLayer(MessageSender& sender, TransactionUser& tu, const Clock& clock,
                                   TransactionConfig config)
    : sender_(sender), tu_(tu), clock_(clock), config_(std::move(config)) {
  if (!config_.random) {
    // A layer without entropy would hand out colliding branches; fall back to a
    // counter-derived sequence rather than crash, and let tests inject a real one.
    config_.random = [n = std::uint64_t{0x9e3779b97f4a7c15}]() mutable {
      n ^= n << 13;
      n ^= n >> 7;
      n ^= n << 17;
      return n;
    };
  }
}

TransactionLayer::Entry::~Entry() {
  if (--l_.depth_ != 0) return;
  for (TransactionId id : l_.dead_) l_.txns_.erase(id);
  l_.dead_.clear();
  // Stale heap entries are dropped lazily; rebuild when they dominate so the heap
  // stays proportional to live timers.
  if (l_.timers_.size() > 64 && l_.timers_.size() > 4 * l_.armed_) {
    decltype(l_.timers_) fresh;
    while (!l_.timers_.empty()) {
      const TimerEntry e = l_.timers_.top();
      l_.timers_.pop();
      const Transaction* t = l_.find(e.id);
      const auto i = static_cast<std::size_t>(e.name);
      if (t != nullptr && t->armed[i] && t->generation[i] == e.generation) fresh.push(e);
    }
    l_.timers_ = std::move(fresh);
  }
}

TransactionLayer::Transaction* TransactionLayer::find(TransactionId id) {
  auto it = txns_.find(id);
  return it == txns_.end() ? nullptr : &it->second;
}

const TransactionLayer::Transaction* TransactionLayer::find(TransactionId id) const {
  auto it = txns_.find(id);
  return it == txns_.end() ? nullptr : &it->second;
}

std::optional<TransactionState> TransactionLayer::state(TransactionId id) const {
  const Transaction* t = find(id);
  if (t == nullptr || t->state == TransactionState::kTerminated) return std::nullopt;
  return t->state;
}

std::optional<TransactionKind> TransactionLayer::kind(TransactionId id) const {
  const Transaction* t = find(id);
  if (t == nullptr || t->state == TransactionState::kTerminated) return std::nullopt;
  return t->kind;
}

TransactionLayer::Transaction& TransactionLayer::create(TransactionKind kind,
                                                        TransactionState state, std::string key) {
  const TransactionId id = next_id_++;
  Transaction& t = txns_[id];
  t.id = id;
  t.kind = kind;
  t.state = state;
  t.key = std::move(key);
  const bool client =
      kind == TransactionKind::kInviteClient || kind == TransactionKind::kNonInviteClient;
  (client ? client_index_ : server_index_)[t.key] = id;
  ++(client ? stats_.client_created : stats_.server_created);
  return t;
}

void TransactionLayer::set_state(Transaction& t, TransactionState s) {
  if (t.state == s) return;
  t.state = s;
  emit(TransactionEvent::Type::kStateChanged, &t);
}

void TransactionLayer::arm(Transaction& t, TimerName name, Duration after) {
  const auto i = static_cast<std::size_t>(name);
  if (!t.armed[i]) ++armed_;
  t.armed[i] = true;
  ++t.generation[i];
  timers_.push(TimerEntry{now() + after, timer_seq_++, t.id, name, t.generation[i]});
}

void TransactionLayer::disarm(Transaction& t, TimerName name) {
  const auto i = static_cast<std::size_t>(name);
  if (!t.armed[i]) return;
  t.armed[i] = false;
  ++t.generation[i];
  --armed_;
}

void TransactionLayer::terminate(Transaction& t) {
  if (t.state == TransactionState::kTerminated) return;
  for (std::size_t i = 0; i < kTimerCount; ++i) disarm(t, static_cast<TimerName>(i));
  const bool client =
      t.kind == TransactionKind::kInviteClient || t.kind == TransactionKind::kNonInviteClient;
  auto& index = client ? client_index_ : server_index_;
  if (auto it = index.find(t.key); it != index.end() && it->second == t.id) index.erase(it);
  set_state(t, TransactionState::kTerminated);
  dead_.push_back(t.id);
  ++stats_.terminated;
  tu_.on_terminated(t.id);
}

void TransactionLayer::emit(TransactionEvent::Type type, const Transaction* t, int status,
                            std::optional<TimerName> timer, std::string_view method) {
  if (!sink_) return;
  TransactionEvent e;
  e.type = type;
  e.status = status;
  e.timer = timer;
  e.method = method;
  if (t != nullptr) {
    e.id = t->id;
    e.kind = t->kind;
    e.state = t->state;
    if (e.method.empty() && t->request) e.method = t->request->method();
  }
  sink_(e);
}

std::string TransactionLayer::random_hex() {
  return fmt::format("{:016x}{:08x}", config_.random(),
                     static_cast<std::uint32_t>(config_.random()));
}

void TransactionLayer::on_message(Message message, const Peer& source) {
  Entry entry(*this);
  if (message.is_request()) {
    on_request(std::move(message), source);
  } else {
    on_response(std::move(message));
  }
}

std::optional<MonoTime> TransactionLayer::next_deadline() {
  while (!timers_.empty()) {
    const TimerEntry& e = timers_.top();
    const Transaction* t = find(e.id);
    const auto i = static_cast<std::size_t>(e.name);
    if (t != nullptr && t->armed[i] && t->generation[i] == e.generation) return e.deadline;
    timers_.pop();
  }
  return std::nullopt;
}

std::size_t TransactionLayer::on_timer(MonoTime until) {
  Entry entry(*this);
  std::size_t fired = 0;
  while (!timers_.empty() && timers_.top().deadline <= until) {
    const TimerEntry e = timers_.top();
    timers_.pop();
    Transaction* t = find(e.id);
    const auto i = static_cast<std::size_t>(e.name);
    if (t == nullptr || !t->armed[i] || t->generation[i] != e.generation) continue;
    t->armed[i] = false;
    --armed_;
    ++fired;
    const bool was_in_timer = in_timer_;
    in_timer_ = true;
    timer_now_ = e.deadline;
    fire(*t, e.name);
    in_timer_ = was_in_timer;
  }
  return fired;
}

void TransactionLayer::fire(Transaction& t, TimerName name) {
  if (t.kind == TransactionKind::kInviteClient || t.kind == TransactionKind::kNonInviteClient) {
    client_timer(t, name);
  } else {
    server_timer(t, name);
  }
}

void TransactionLayer::transport_failed(const Peer& peer) {
  Entry entry(*this);
  // Collect first: TU callbacks may create transactions and rehash the table.
  std::vector<TransactionId> hit;
  for (const auto& [id, t] : txns_) {
    if (t.state == TransactionState::kTerminated || t.peer.transport != peer.transport) continue;
    const bool same_connection =
        peer.connection_id != 0 && t.peer.connection_id == peer.connection_id;
    if (same_connection || t.peer.remote == peer.remote) hit.push_back(id);
  }
  for (TransactionId id : hit) {
    Transaction* t = find(id);
    if (t == nullptr || t->state == TransactionState::kTerminated) continue;
    ++stats_.transport_errors;
    emit(TransactionEvent::Type::kTransportError, t);
    tu_.on_transport_error(id);
    if ((t = find(id)) != nullptr) terminate(*t);
  }
}

Status TransactionLayer::respond(TransactionId id, const MessageBuilder& response) {
  // A non-INVITE response is only sent and kept for retransmissions: it needs no
  // parse (responses are the bulk of a registrar's work), only its essential
  // headers. INVITE responses are parsed: their To tag and status drive the dialog
  // and ACK matching. A builder that fails the quick check gets the full parse,
  // which says what is wrong.
  const auto complete = [&response] {
    unsigned seen = 0;
    for (const auto& [name, value] : response.headers()) {
      switch (header_id(name)) {
        case HeaderId::kVia: seen |= 1; break;
        case HeaderId::kFrom: seen |= 2; break;
        case HeaderId::kTo: seen |= 4; break;
        case HeaderId::kCallId: seen |= 8; break;
        case HeaderId::kCSeq: seen |= 16; break;
        default: break;
      }
    }
    return seen == 31;
  };
  const int status = response.status_code();
  if (const Transaction* t = find(id);
      t != nullptr && complete() && t->kind == TransactionKind::kNonInviteServer &&
      t->state != TransactionState::kTerminated && status >= 100 && status <= 699) {
    Entry entry(*this);
    return server_respond(*find(id), status, response.serialize(), {});
  }
  auto built = response.build();
  if (!built) {
    return fail(ErrorCode::kInvalidArgument, "response does not parse: " + built.error().reason);
  }
  return respond(id, std::move(*built));
}

Status TransactionLayer::respond(TransactionId id, Message response) {
  Entry entry(*this);
  Transaction* t = find(id);
  if (t == nullptr || t->state == TransactionState::kTerminated) {
    return fail(ErrorCode::kNotFound, fmt::format("no live transaction {}", id));
  }
  if (t->kind != TransactionKind::kInviteServer && t->kind != TransactionKind::kNonInviteServer) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("transaction {} is a client", id));
  }
  if (!response.is_response() || response.status_code() < 100 || response.status_code() > 699) {
    return fail(ErrorCode::kInvalidArgument, "not a response with a status in 100..699");
  }
  const int status = response.status_code();
  const std::string to_tag(response.to().tag().value_or(""));
  return server_respond(*t, status, std::string(response.wire()), to_tag);
}

Result<MessageBuilder> TransactionLayer::response_for(TransactionId id, int status,
                                                      std::string reason,
                                                      std::string_view to_tag) const {
  const Transaction* t = find(id);
  if (t == nullptr || !t->request || t->state == TransactionState::kTerminated ||
      (t->kind != TransactionKind::kInviteServer && t->kind != TransactionKind::kNonInviteServer)) {
    return fail(ErrorCode::kNotFound, fmt::format("no live server transaction {}", id));
  }
  return make_response(*t->request, t->source, status, std::move(reason), to_tag);
}

}  // namespace hotline::sip
