#include "sip/dialog_layer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "sip/scanner.hpp"

namespace hotline::sip {
namespace {

using std::chrono::milliseconds;

bool is_offer_method(std::string_view method) {
  return method == "INVITE" || method == "UPDATE";
}

// The single Contact a dialog-creating or target-refresh request must carry.
const NameAddr* single_contact(const Message& m) {
  const ContactList& c = m.contacts();
  if (c.star || c.entries.size() != 1 || !c.entries.front().uri.is_sip()) return nullptr;
  return &c.entries.front();
}

}  // namespace

DialogLayer::DialogLayer(MessageSender& sender, DialogUser& user, const Clock& clock,
                         TransactionConfig transactions, DialogConfig config)
    : sender_(sender),
      user_(user),
      clock_(clock),
      config_(std::move(config)),
      tl_(sender, *this, clock, std::move(transactions)) {}

DialogLayer::Entry::~Entry() {
  if (--l_.depth_ != 0) return;
  for (DialogId id : l_.dead_) l_.dialogs_.erase(id);
  l_.dead_.clear();
  for (TransactionId id : l_.dead_txns_) {
    if (auto s = l_.server_.find(id); s != l_.server_.end() && !s->second.merge_key.empty()) {
      l_.merged_.erase(s->second.merge_key);
    }
    l_.client_.erase(id);
    l_.server_.erase(id);
    l_.attempts_.erase(id);
  }
  l_.dead_txns_.clear();
}

std::uint64_t DialogLayer::draw() {
  return config_.random ? config_.random() : tl_.config().random();
}

std::string DialogLayer::random_hex() {
  return fmt::format("{:x}", draw());
}

DialogLayer::Dialog* DialogLayer::live(DialogId id) {
  auto it = dialogs_.find(id);
  if (it == dialogs_.end() || it->second.phase == DialogPhase::kTerminated) return nullptr;
  return &it->second;
}

const DialogState* DialogLayer::find(DialogId id) const {
  auto it = dialogs_.find(id);
  if (it == dialogs_.end() || it->second.phase == DialogPhase::kTerminated) return nullptr;
  return &it->second;
}

std::optional<DialogId> DialogLayer::lookup(std::string_view call_id, std::string_view local_tag,
                                            std::string_view remote_tag) const {
  auto it = index_.find(dialog_key(call_id, local_tag, remote_tag));
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

DialogLayer::Dialog& DialogLayer::create_dialog(DialogRole role, std::string call_id,
                                                std::string local_tag, std::string remote_tag) {
  const DialogId id = next_id_++;
  Dialog& d = dialogs_[id];
  d.id = id;
  d.role = role;
  d.phase = DialogPhase::kEarly;
  d.call_id = std::move(call_id);
  d.local_tag = std::move(local_tag);
  d.remote_tag = std::move(remote_tag);
  index_.emplace(dialog_key(d.call_id, d.local_tag, d.remote_tag), id);
  ++(role == DialogRole::kUac ? stats_.created_uac : stats_.created_uas);
  return d;
}

void DialogLayer::end(Dialog& d, TerminationReason reason, const Message* cause) {
  if (d.phase == DialogPhase::kTerminated) return;
  d.phase = DialogPhase::kTerminated;
  index_.erase(dialog_key(d.call_id, d.local_tag, d.remote_tag));
  d.awaiting_ack = false;
  ++d.ok_generation;
  ++d.glare_generation;
  dead_.push_back(d.id);
  ++stats_.terminated;
  user_.on_terminated(d.id, reason, cause);
}

void DialogLayer::arm(Dialog& d, TimerKind kind, Duration after) {
  const std::uint32_t gen = kind == TimerKind::kGlare ? d.glare_generation : d.ok_generation;
  timers_.push(TimerEntry{now() + after, timer_seq_++, d.id, kind, gen});
}

bool DialogLayer::stale(const TimerEntry& e) {
  const Dialog* d = live(e.dialog);
  if (d == nullptr) return true;
  if (e.kind == TimerKind::kGlare) return e.generation != d->glare_generation;
  return e.generation != d->ok_generation || !d->awaiting_ack;
}

std::optional<MonoTime> DialogLayer::next_deadline() {
  while (!timers_.empty() && stale(timers_.top())) timers_.pop();
  auto ours = timers_.empty() ? std::nullopt : std::optional<MonoTime>(timers_.top().deadline);
  auto theirs = tl_.next_deadline();
  if (!ours) return theirs;
  if (!theirs) return ours;
  return std::min(*ours, *theirs);
}

std::size_t DialogLayer::on_timer(MonoTime at) {
  Entry entry(*this);
  std::size_t fired = 0;
  for (;;) {
    while (!timers_.empty() && stale(timers_.top())) timers_.pop();
    const auto theirs = tl_.next_deadline();
    const bool ours_due = !timers_.empty() && timers_.top().deadline <= at;
    const bool theirs_due = theirs && *theirs <= at;
    if (theirs_due && (!ours_due || *theirs <= timers_.top().deadline)) {
      in_timer_ = true;
      timer_now_ = *theirs;
      fired += tl_.on_timer(*theirs);
      in_timer_ = false;
      continue;
    }
    if (!ours_due) break;
    const TimerEntry e = timers_.top();
    timers_.pop();
    in_timer_ = true;
    timer_now_ = e.deadline;
    fire(e);
    in_timer_ = false;
    ++fired;
  }
  return fired;
}

void DialogLayer::fire(const TimerEntry& e) {
  Dialog* d = live(e.dialog);
  if (d == nullptr) return;
  const TransactionConfig& tc = tl_.config();
  switch (e.kind) {
    case TimerKind::kOkRetransmit:
      // §13.3.1.4: T1 doubling up to T2, over every transport (proxies may use UDP).
      sender_.send(d->ok_to, d->ok_wire);
      ++stats_.ok_retransmissions;
      d->ok_interval = std::min(2 * d->ok_interval, tc.t2);
      arm(*d, TimerKind::kOkRetransmit, d->ok_interval);
      return;
    case TimerKind::kOkGiveUp: {
      // 64*T1 without an ACK: the dialog is confirmed but the session is dead.
      d->awaiting_ack = false;
      ++d->ok_generation;
      ++stats_.no_ack;
      (void)send_in_dialog(*d, "BYE", {});
      end(*d, TerminationReason::kNoAck, nullptr);
      return;
    }
    case TimerKind::kGlare: user_.on_glare_retry(d->id, d->glare_method); return;
  }
}

Result<Peer> DialogLayer::destination(const Dialog& d) const {
  if (config_.stick_to_peer) return d.peer;
  const std::string hop = d.next_hop();
  auto uri = parse_uri(hop);
  if (!uri || !uri->is_sip()) {
    return fail(ErrorCode::kInvalidArgument, "next hop is not a sip/sips URI: " + hop);
  }
  if (config_.resolve) {
    auto p = config_.resolve(*uri);
    if (!p) return fail(ErrorCode::kUnavailable, "cannot resolve " + hop);
    return *p;
  }
  TransportType t = uri->scheme == UriScheme::kSips ? TransportType::kTls : TransportType::kUdp;
  if (auto tp = uri->params.get("transport")) {
    if (detail::iequals(*tp, "tcp")) t = TransportType::kTcp;
    if (detail::iequals(*tp, "tls")) t = TransportType::kTls;
    if (detail::iequals(*tp, "udp")) t = TransportType::kUdp;
  }
  Endpoint remote{std::string(uri->host_address()),
                  uri->port.value_or(t == TransportType::kTls ? 5061 : 5060)};
  if (remote == d.peer.remote && t == d.peer.transport) return d.peer;
  return Peer{t, std::move(remote), d.peer.local, 0};
}

std::uint32_t DialogLayer::next_cseq(Dialog& d) {
  // §8.1.1.5: any start below 2^31; we keep well below so increments never wrap.
  if (!d.local_seq) d.local_seq = static_cast<std::uint32_t>(draw() % (1u << 20)) + 1;
  return ++*d.local_seq;
}

void DialogLayer::update_target(Dialog& d, const Message& m) {
  if (const NameAddr* c = single_contact(m)) d.remote_target = std::string(c->uri.text);
}

Result<TransactionId> DialogLayer::send_in_dialog(Dialog& d, std::string_view method,
                                                  const Content& content) {
  auto dest = destination(d);
  if (!dest) return std::unexpected(dest.error());
  const std::uint32_t cseq = next_cseq(d);
  MessageBuilder b = d.make_request(method, cseq);
  content.apply(b);
  auto txn = tl_.send_request(b, *dest);
  if (!txn) return txn;
  client_[*txn] = ClientTxn{d.id, std::string(method), cseq,
                            is_offer_method(method) && content.has_session_description(), false};
  return txn;
}

Status DialogLayer::send_ack(Dialog& d, std::uint32_t cseq, const Content& content) {
  auto dest = destination(d);
  if (!dest) return std::unexpected(dest.error());
  MessageBuilder b = d.make_request("ACK", cseq);
  content.apply(b);
  const std::string sent_by =
      config_.via_sent_by.empty() ? dest->local.to_string() : config_.via_sent_by;
  // The ACK for a 2xx is a transaction of its own: a fresh branch (§13.2.2.4).
  b.prepend_header("Via", fmt::format("SIP/2.0/{} {};branch={}{};rport", via_name(dest->transport),
                                      sent_by, kBranchCookie, random_hex()));
  auto built = b.build();
  if (!built)
    return fail(ErrorCode::kInvalidArgument, "ACK does not parse: " + built.error().reason);
  d.ack_wire = std::string(built->wire());
  d.ack_to = *dest;
  d.ack_cseq = cseq;
  d.unacked_cseq = 0;
  if (content.has_session_description() && d.offer == OfferState::kRemoteOffer) {
    d.offer = OfferState::kStable;
  }
  sender_.send(d.ack_to, d.ack_wire);
  return {};
}

Result<TransactionId> DialogLayer::send_bye(Dialog& d, const Content& content) {
  auto txn = send_in_dialog(d, "BYE", content);
  if (txn) d.bye_sent = true;
  return txn;
}

void DialogLayer::reject(TransactionId id, int status, std::string reason, std::string_view to_tag,
                         std::optional<std::uint32_t> retry_after) {
  auto b = tl_.response_for(id, status, std::move(reason), to_tag);
  if (!b) return;
  if (retry_after) b->add_header("Retry-After", std::to_string(*retry_after));
  (void)tl_.respond(id, *b);
  if (auto it = server_.find(id); it != server_.end()) it->second.final_sent = true;
}

// ---------------------------------------------------------------------------
// Requests from the network.

void DialogLayer::on_request(TransactionId id, const Message& request, const Peer& source) {
  Entry entry(*this);
  const auto from_tag = request.from().tag();
  if (!from_tag || from_tag->empty()) {
    // RFC 3261 §8.1.1.3: every request carries a From tag; without one no
    // dialog can be identified.
    ++stats_.bad_request;
    reject(id, 400, "Missing From Tag", random_hex());
    return;
  }
  const auto to_tag = request.to().tag();
  if (to_tag) {
    if (to_tag->empty()) {
      ++stats_.bad_request;
      reject(id, 400, "Empty To Tag");
      return;
    }
    dialog_request(id, request, source);
    return;
  }
  const std::string_view method = request.method();
  if (method == "INVITE") {
    creating_invite(id, request, source);
    return;
  }
  if (method == "BYE" || method == "UPDATE" || method == "PRACK") {
    // Only meaningful inside a dialog, and this one names none (§15.1.2).
    ++stats_.no_dialog;
    reject(id, 481, "Call/Transaction Does Not Exist", random_hex());
    return;
  }
  ServerTxn s;
  s.method = std::string(method);
  s.cseq = request.cseq().number;
  s.local_tag = random_hex();
  s.source = source;
  server_[id] = std::move(s);
  user_.on_request(IncomingRequest{id, std::nullopt, request, source});
}

void DialogLayer::creating_invite(TransactionId id, const Message& request, const Peer& source) {
  if (index_.size() + pending_creating_ >= config_.max_dialogs) {
    ++stats_.overloaded;
    reject(id, 503, "Service Unavailable", random_hex(), config_.retry_after_seconds);
    return;
  }
  const NameAddr* contact = single_contact(request);
  if (contact == nullptr) {
    // §8.1.1.8: exactly one SIP or SIPS URI; it becomes the remote target.
    ++stats_.bad_request;
    reject(id, 400, "Bad Contact", random_hex());
    return;
  }
  auto routes = route_set_from(request, DialogRole::kUas);
  if (!routes) {
    ++stats_.bad_request;
    reject(id, 400, "Bad Record-Route", random_hex());
    return;
  }
  // §8.2.2.2: the same request reached us twice by different paths (a forking
  // proxy upstream): From tag, Call-ID and CSeq match a pending INVITE, the
  // branch does not.
  std::string merge_key =
      dialog_key(request.call_id(), *request.from().tag(), std::to_string(request.cseq().number));
  if (merged_.contains(merge_key)) {
    ++stats_.merged;
    reject(id, 482, "Loop Detected", random_hex());
    return;
  }
  ServerTxn s;
  s.merge_key = merge_key;
  merged_.insert(std::move(merge_key));
  s.initial = true;
  s.method = "INVITE";
  s.cseq = request.cseq().number;
  s.offer = has_session_description(request);
  s.local_tag = random_hex();
  s.source = source;
  s.reply_to = response_destination(request.vias().front(), source);
  s.call_id = std::string(request.call_id());
  s.remote_tag = std::string(*request.from().tag());
  s.remote_party = strip_tag(request.from());
  s.local_party = strip_tag(request.to());
  s.remote_target = std::string(contact->uri.text);
  s.routes = std::move(*routes);
  for (const HeaderField& h : request.headers()) {
    if (h.id == HeaderId::kRecordRoute) s.record_route.push_back(unfold(h.value));
  }
  ++pending_creating_;
  server_[id] = std::move(s);
  user_.on_request(IncomingRequest{id, std::nullopt, request, source});
}

void DialogLayer::dialog_request(TransactionId id, const Message& request, const Peer& source) {
  const std::string_view method = request.method();
  Dialog* d = nullptr;
  if (auto found = lookup(request.call_id(), *request.to().tag(), *request.from().tag())) {
    d = live(*found);
  }
  if (d == nullptr) {
    ++stats_.no_dialog;
    reject(id, 481, "Call/Transaction Does Not Exist");
    return;
  }
  const std::uint32_t cseq = request.cseq().number;
  if (d->remote_seq && cseq < *d->remote_seq) {
    ++stats_.cseq_out_of_order;  // §12.2.2
    reject(id, 500, "CSeq Out of Order");
    return;
  }
  const bool invite = method == "INVITE";
  const bool offer_method = is_offer_method(method);
  const bool sdp = offer_method && has_session_description(request);
  if (invite || sdp) {
    // §14.2 and RFC 3311 §5.2: ours pending → 491; theirs pending → 500 + Retry-After.
    if ((invite && d->out_invite != 0) || (sdp && d->offer == OfferState::kLocalOffer)) {
      ++stats_.glare;
      reject(id, 491, "Request Pending");
      return;
    }
    if ((invite && (d->in_invite != 0 || d->awaiting_ack)) ||
        (sdp && d->offer == OfferState::kRemoteOffer)) {
      ++stats_.retry_later;
      reject(id, 500, "Request Pending", {}, static_cast<std::uint32_t>(draw() % 11));
      return;
    }
  }
  if (offer_method && !request.contacts().entries.empty() && single_contact(request) == nullptr) {
    ++stats_.bad_request;
    reject(id, 400, "Bad Contact");
    return;
  }
  d->remote_seq = cseq;
  if (method == "BYE") {
    if (auto ok = tl_.response_for(id, 200, "OK")) (void)tl_.respond(id, *ok);
    const TransactionId pending = d->in_invite;
    end(*d, TerminationReason::kRemoteBye, &request);
    // §15.1.2: a BYE ends the INVITE still waiting for our answer with 487.
    if (pending != 0) (void)respond(pending, Reply{487, "Request Terminated", {}, {}});
    return;
  }
  // §12.2.2: a target refresh replaces the remote target with its Contact.
  if (offer_method) update_target(*d, request);
  if (invite) d->in_invite = id;
  if (sdp) d->offer = OfferState::kRemoteOffer;
  ServerTxn s;
  s.dialog = d->id;
  s.method = std::string(method);
  s.cseq = cseq;
  s.offer = sdp;
  s.source = source;
  s.reply_to = response_destination(request.vias().front(), source);
  server_[id] = std::move(s);
  user_.on_request(IncomingRequest{id, d->id, request, source});
}

void DialogLayer::on_ack(std::optional<TransactionId>, const Message& ack, const Peer&) {
  Entry entry(*this);
  const auto from_tag = ack.from().tag();
  const auto to_tag = ack.to().tag();
  Dialog* d = nullptr;
  if (from_tag && to_tag) {
    if (auto found = lookup(ack.call_id(), *to_tag, *from_tag)) d = live(*found);
  }
  if (d == nullptr) {
    ++stats_.stray_acks;
    return;
  }
  if (!d->awaiting_ack || ack.cseq().number != d->ok_cseq) return;  // a retransmitted ACK
  d->awaiting_ack = false;
  ++d->ok_generation;
  if (has_session_description(ack) && d->offer == OfferState::kLocalOffer) {
    d->offer = OfferState::kStable;
  }
  const DialogId did = d->id;
  user_.on_ack(did, ack);
  d = live(did);
  if (d != nullptr && d->bye_after_ack) {
    d->bye_after_ack = false;
    (void)send_bye(*d, {});
  }
}

void DialogLayer::on_cancel(TransactionId invite_id, TransactionId, const Message& cancel) {
  Entry entry(*this);
  auto it = server_.find(invite_id);
  if (it == server_.end() || it->second.final_sent) return;
  const bool initial = it->second.initial;
  std::optional<DialogId> did;
  if (it->second.dialog != 0) did = it->second.dialog;
  if (initial && did) {
    if (Dialog* d = live(*did)) end(*d, TerminationReason::kCancelled, &cancel);
  }
  (void)respond(invite_id, Reply{487, "Request Terminated", {}, {}});
  user_.on_cancelled(invite_id, did);
}

// ---------------------------------------------------------------------------
// Responses we send.

Result<std::optional<DialogId>> DialogLayer::respond(TransactionId txn, const Reply& reply) {
  Entry entry(*this);
  auto it = server_.find(txn);
  if (it == server_.end()) {
    return fail(ErrorCode::kNotFound, fmt::format("no request {} to answer", txn));
  }
  ServerTxn& s = it->second;
  const int st = reply.status;
  if (st < 100 || st > 699) return fail(ErrorCode::kInvalidArgument, "status out of range");
  if (s.final_sent) {
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("request {} already has a final response", txn));
  }
  const bool invite = s.method == "INVITE";
  const bool success = st >= 200 && st < 300;
  Dialog* d = s.dialog != 0 ? live(s.dialog) : nullptr;
  std::string_view to_tag;
  if ((s.initial || s.dialog == 0) && st > 100) to_tag = s.local_tag;
  auto b = tl_.response_for(txn, st, reply.reason, to_tag);
  if (!b) return std::unexpected(b.error());
  const bool dialog_forming = s.initial && st > 100 && st < 300;
  if (dialog_forming) {
    // §12.1.1: the UAS copies Record-Route into responses that establish a dialog.
    for (const std::string& rr : s.record_route) b->add_header("Record-Route", rr);
  }
  std::string contact;
  if ((invite && st > 100 && st < 300) || (s.method == "UPDATE" && success)) {
    contact = !reply.contact.empty()                      ? reply.contact
              : d != nullptr && !d->local_contact.empty() ? d->local_contact
                                                          : config_.default_contact;
    if (contact.empty() && invite && success) {
      return fail(ErrorCode::kInvalidArgument, "a 2xx to INVITE needs a Contact");
    }
    if (!contact.empty()) b->add_header("Contact", contact);
  }
  reply.content.apply(*b);
  auto built = b->build();
  if (!built) {
    return fail(ErrorCode::kInvalidArgument, "response does not parse: " + built.error().reason);
  }
  std::string wire = invite && success ? std::string(built->wire()) : std::string();
  if (auto sent = tl_.respond(txn, std::move(*built)); !sent) return std::unexpected(sent.error());
  if (st >= 200) {
    s.final_sent = true;
    if (s.initial) --pending_creating_;
  }
  if (dialog_forming && d == nullptr && s.dialog == 0) {
    Dialog& nd = create_dialog(DialogRole::kUas, s.call_id, s.local_tag, s.remote_tag);
    nd.local_party = s.local_party + ";tag=" + s.local_tag;
    nd.remote_party = s.remote_party + ";tag=" + s.remote_tag;
    nd.remote_target = s.remote_target;
    nd.routes = s.routes;
    nd.remote_seq = s.cseq;
    nd.peer = s.source;
    nd.creating = txn;
    nd.creating_cseq = s.cseq;
    nd.in_invite = txn;
    nd.offer = s.offer ? OfferState::kRemoteOffer : OfferState::kStable;
    s.dialog = nd.id;
    d = &nd;
  }
  if (d == nullptr) return std::optional<DialogId>();
  if (!contact.empty()) d->local_contact = contact;
  if (s.initial && success && d->phase == DialogPhase::kEarly) {
    d->phase = DialogPhase::kConfirmed;
    ++stats_.confirmed;
  }
  if (invite && st >= 200 && d->in_invite == txn) d->in_invite = 0;
  const bool sdp = reply.content.has_session_description();
  if (is_offer_method(s.method) && st >= 200) {
    if (success) {
      if (d->offer == OfferState::kRemoteOffer && sdp) {
        d->offer = OfferState::kStable;
      } else if (d->offer == OfferState::kStable && sdp && invite) {
        d->offer = OfferState::kLocalOffer;  // offer in the 2xx, answer in the ACK
      }
    } else if (s.offer && d->offer == OfferState::kRemoteOffer) {
      d->offer = OfferState::kStable;  // their offer is rejected
    }
  }
  const DialogId did = d->id;
  if (invite && success) {
    d->awaiting_ack = true;
    d->ok_wire = std::move(wire);
    d->ok_to = s.reply_to;
    d->ok_cseq = s.cseq;
    d->ok_interval = tl_.config().t1;
    ++d->ok_generation;
    arm(*d, TimerKind::kOkRetransmit, d->ok_interval);
    arm(*d, TimerKind::kOkGiveUp, 64 * tl_.config().t1);
  }
  if (s.initial && st >= 300) end(*d, TerminationReason::kRejected, nullptr);
  return std::optional<DialogId>(did);
}

// ---------------------------------------------------------------------------
// Requests we send and their responses.

Result<TransactionId> DialogLayer::invite(const OutgoingInvite& o) {
  Entry entry(*this);
  if (index_.size() + pending_creating_ >= config_.max_dialogs) {
    return fail(ErrorCode::kResourceExhausted,
                fmt::format("{} dialogs (the cap)", config_.max_dialogs));
  }
  Attempt a;
  a.call_id = o.call_id.empty() ? random_hex() + random_hex() : o.call_id;
  if (o.call_id.empty() && !config_.call_id_host.empty()) a.call_id += "@" + config_.call_id_host;
  a.local_tag = random_hex();
  a.local_party = o.from + ";tag=" + a.local_tag;
  a.remote_party = o.to;
  a.local_contact = o.contact;
  a.request_uri = o.request_uri;
  a.route = o.route;
  a.cseq = static_cast<std::uint32_t>(draw() % (1u << 20)) + 1;
  a.destination = o.destination;
  a.offer = o.content.has_session_description();
  a.defer_ack = o.defer_ack;
  MessageBuilder b = MessageBuilder::request("INVITE", o.request_uri);
  b.add_header("Max-Forwards", "70");
  for (const std::string& r : o.route) b.add_header("Route", r);
  b.add_header("From", a.local_party);
  b.add_header("To", a.remote_party);
  b.add_header("Call-ID", a.call_id);
  b.add_header("CSeq", std::to_string(a.cseq) + " INVITE");
  b.add_header("Contact", o.contact);
  o.content.apply(b);
  auto txn = tl_.send_request(b, o.destination);
  if (!txn) return txn;
  client_[*txn] = ClientTxn{0, "INVITE", a.cseq, a.offer, true};
  attempts_[*txn] = std::move(a);
  ++pending_creating_;
  return txn;
}

Status DialogLayer::cancel(TransactionId txn) {
  Entry entry(*this);
  auto it = client_.find(txn);
  if (it == client_.end() || it->second.method != "INVITE") {
    return fail(ErrorCode::kNotFound, fmt::format("no INVITE {} of ours", txn));
  }
  auto sent = tl_.cancel(txn);
  if (sent) return {};
  if (sent.error().code == ErrorCode::kFailedPrecondition &&
      tl_.state(txn) == TransactionState::kCalling) {
    // §9.1: no CANCEL before a provisional response; send it on the first one.
    if (auto a = attempts_.find(txn); a != attempts_.end()) {
      a->second.cancel_pending = true;
      return {};
    }
  }
  return std::unexpected(sent.error());
}

Result<TransactionId> DialogLayer::request(DialogId dialog, std::string_view method,
                                           const Content& content) {
  Entry entry(*this);
  Dialog* d = live(dialog);
  if (d == nullptr) return fail(ErrorCode::kNotFound, fmt::format("no dialog {}", dialog));
  if (method == "ACK" || method == "CANCEL" || method == "BYE") {
    return fail(ErrorCode::kInvalidArgument, fmt::format("{} has its own call", method));
  }
  if (d->bye_sent || d->bye_after_ack) {
    return fail(ErrorCode::kFailedPrecondition, "the dialog is ending");
  }
  const bool invite = method == "INVITE";
  const bool sdp = is_offer_method(method) && content.has_session_description();
  if (invite && (d->phase != DialogPhase::kConfirmed || d->out_invite != 0 || d->in_invite != 0 ||
                 d->awaiting_ack || d->unacked_cseq != 0)) {
    // §14.1: no re-INVITE while an INVITE is in progress in either direction.
    return fail(ErrorCode::kFailedPrecondition, "an INVITE transaction is in progress");
  }
  if (sdp && d->offer != OfferState::kStable) {
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("offer/answer is {}", to_string(d->offer)));
  }
  auto txn = send_in_dialog(*d, method, content);
  if (!txn) return txn;
  if (invite) d->out_invite = *txn;
  if (sdp) d->offer = OfferState::kLocalOffer;
  return txn;
}

Result<TransactionId> DialogLayer::bye(DialogId dialog, const Content& content) {
  Entry entry(*this);
  Dialog* d = live(dialog);
  if (d == nullptr) return fail(ErrorCode::kNotFound, fmt::format("no dialog {}", dialog));
  if (d->bye_sent || d->bye_after_ack) return fail(ErrorCode::kFailedPrecondition, "BYE sent");
  if (d->role == DialogRole::kUas && d->phase == DialogPhase::kEarly) {
    // §15: the callee ends an early dialog by answering the INVITE, not with BYE.
    return fail(ErrorCode::kFailedPrecondition, "answer the INVITE with a final response");
  }
  if (d->role == DialogRole::kUas && d->awaiting_ack && d->ok_cseq == d->creating_cseq) {
    // §15: not before the ACK for our 2xx to the creating INVITE (or its timeout).
    d->bye_after_ack = true;
    return TransactionId{0};
  }
  return send_bye(*d, content);
}

Status DialogLayer::ack(DialogId dialog, const Content& content) {
  Entry entry(*this);
  Dialog* d = live(dialog);
  if (d == nullptr) return fail(ErrorCode::kNotFound, fmt::format("no dialog {}", dialog));
  if (d->unacked_cseq == 0) return fail(ErrorCode::kFailedPrecondition, "no 2xx to ACK");
  return send_ack(*d, d->unacked_cseq, content);
}

Result<TransactionId> DialogLayer::send_request(const MessageBuilder& request,
                                                const Peer& destination) {
  Entry entry(*this);
  auto txn = tl_.send_request(request, destination);
  if (!txn) return txn;
  client_[*txn] = ClientTxn{};
  return txn;
}

void DialogLayer::terminate(DialogId dialog) {
  Entry entry(*this);
  if (Dialog* d = live(dialog)) end(*d, TerminationReason::kShutdown, nullptr);
}

void DialogLayer::on_response(TransactionId id, const Message& response) {
  Entry entry(*this);
  handle_response(id, response, false);
}

void DialogLayer::on_timeout(TransactionId id, TimerName, const Message& synthesized) {
  Entry entry(*this);
  // Timer B/F: the synthesized 408 is the response. Timer H (our non-2xx was
  // never ACKed) changes nothing for dialogs.
  if (synthesized.is_response()) handle_response(id, synthesized, true);
}

void DialogLayer::handle_response(TransactionId id, const Message& response, bool timeout) {
  auto it = client_.find(id);
  if (it == client_.end()) return;
  if (it->second.attempt) {
    attempt_response(id, response, timeout);
  } else if (it->second.dialog != 0) {
    dialog_response(id, it->second, response, timeout);
  } else {
    user_.on_response(ResponseEvent{id, std::nullopt, response, timeout, std::nullopt});
  }
}

DialogLayer::Dialog* DialogLayer::fork_dialog(TransactionId id, Attempt& a, const Message& response,
                                              bool force) {
  const std::string_view tag = *response.to().tag();
  if (auto found = lookup(a.call_id, a.local_tag, tag)) return live(*found);
  if (!force && (a.dialogs.size() >= config_.max_forks || index_.size() >= config_.max_dialogs)) {
    return nullptr;
  }
  auto routes = route_set_from(response, DialogRole::kUac);
  if (!routes && !force) return nullptr;
  Dialog& d = create_dialog(DialogRole::kUac, a.call_id, a.local_tag, std::string(tag));
  d.local_party = a.local_party;
  d.remote_party = a.remote_party + ";tag=" + std::string(tag);
  d.local_contact = a.local_contact;
  if (routes) d.routes = std::move(*routes);
  d.remote_target = a.request_uri;
  update_target(d, response);
  d.local_seq = a.cseq;
  d.peer = a.destination;
  d.attempt = id;
  d.out_invite = id;
  d.owns_call_id = true;
  d.defer_ack = a.defer_ack;
  d.offer = a.offer ? OfferState::kLocalOffer : OfferState::kStable;
  a.dialogs.push_back(d.id);
  return &d;
}

void DialogLayer::attempt_response(TransactionId id, const Message& response, bool timeout) {
  auto at = attempts_.find(id);
  if (at == attempts_.end()) return;
  Attempt& a = at->second;
  const int st = response.status_code();
  const auto tag = response.to().tag();
  const bool tagged = tag && !tag->empty();
  if (st < 200) {
    if (a.cancel_pending) {
      a.cancel_pending = false;
      (void)tl_.cancel(id);
    }
    std::optional<DialogId> did;
    if (st > 100 && tagged) {
      if (Dialog* d = fork_dialog(id, a, response, false)) {
        if (d->phase == DialogPhase::kEarly) update_target(*d, response);
        did = d->id;
      }
    }
    user_.on_response(ResponseEvent{id, did, response, false, std::nullopt});
    return;
  }
  if (st >= 300) {
    if (!a.answered) {
      --pending_creating_;
      a.answered = true;
    }
    const TerminationReason why =
        st == 487 ? TerminationReason::kCancelled : TerminationReason::kRejected;
    user_.on_response(ResponseEvent{id, std::nullopt, response, timeout, std::nullopt});
    for (DialogId did : a.dialogs) {
      if (Dialog* d = live(did); d != nullptr && d->phase == DialogPhase::kEarly) {
        end(*d, why, &response);
      }
    }
    return;
  }
  if (!tagged) {
    // A 2xx without a To tag names no dialog; the user sees it and decides.
    user_.on_response(ResponseEvent{id, std::nullopt, response, timeout, std::nullopt});
    return;
  }
  if (auto found = lookup(a.call_id, a.local_tag, *tag)) {
    Dialog* d = live(*found);
    if (d != nullptr && d->phase == DialogPhase::kConfirmed) {
      // A retransmitted 2xx: its ACK again (§13.2.2.4), nothing for the user.
      if (!d->ack_wire.empty() && d->ack_cseq == a.cseq) {
        sender_.send(d->ack_to, d->ack_wire);
        ++stats_.ack_retransmissions;
      }
      return;
    }
  }
  const bool extra = a.answered;
  if (!a.answered) {
    --pending_creating_;
    a.answered = true;
  }
  Dialog* d = fork_dialog(id, a, response, true);
  d->phase = DialogPhase::kConfirmed;
  ++stats_.confirmed;
  // §12.1.2: the route set comes from the 2xx, not from any earlier 1xx.
  if (auto routes = route_set_from(response, DialogRole::kUac)) d->routes = std::move(*routes);
  update_target(*d, response);
  d->out_invite = 0;
  d->unacked_cseq = a.cseq;
  const bool sdp = has_session_description(response);
  if (d->offer == OfferState::kLocalOffer && sdp) {
    d->offer = OfferState::kStable;
  } else if (d->offer == OfferState::kStable && sdp) {
    d->offer = OfferState::kRemoteOffer;  // the answer goes in the ACK
  }
  if (extra) {
    // §13.2.2.4: every 2xx is ACKed; a second fork's dialog is released.
    ++stats_.forked_extra;
    (void)send_ack(*d, a.cseq, {});
    d->bye_reason = TerminationReason::kForkedExtra;
    if (!send_bye(*d, {})) end(*d, TerminationReason::kForkedExtra, &response);
    return;
  }
  const DialogId did = d->id;
  user_.on_response(ResponseEvent{id, did, response, timeout, std::nullopt});
  d = live(did);
  if (d != nullptr && !d->defer_ack && d->unacked_cseq == a.cseq &&
      d->offer != OfferState::kRemoteOffer) {
    (void)send_ack(*d, a.cseq, {});
  }
}

void DialogLayer::dialog_response(TransactionId id, ClientTxn& c, const Message& response,
                                  bool timeout) {
  Dialog* d = live(c.dialog);
  if (d == nullptr) return;
  const int st = response.status_code();
  const DialogId did = d->id;
  if (c.method == "BYE") {
    if (st >= 200) end(*d, d->bye_reason, &response);
    return;
  }
  if (st < 200) {
    user_.on_response(ResponseEvent{id, did, response, false, std::nullopt});
    return;
  }
  const bool invite = c.method == "INVITE";
  const bool success = st < 300;
  if (invite && success) {
    if (d->ack_cseq == c.cseq && !d->ack_wire.empty()) {
      sender_.send(d->ack_to, d->ack_wire);  // a retransmitted 2xx
      ++stats_.ack_retransmissions;
      return;
    }
    if (d->unacked_cseq == c.cseq) return;  // the user has not ACKed it yet
  }
  if (invite && d->out_invite == id) d->out_invite = 0;
  std::optional<Duration> glare;
  if (success) {
    if (is_target_refresh(c.method)) update_target(*d, response);
    if (is_offer_method(c.method)) {
      const bool sdp = has_session_description(response);
      if (d->offer == OfferState::kLocalOffer && sdp) {
        d->offer = OfferState::kStable;
      } else if (invite && d->offer == OfferState::kStable && sdp) {
        d->offer = OfferState::kRemoteOffer;
      }
    }
    if (invite) d->unacked_cseq = c.cseq;
  } else {
    if (c.offer && d->offer == OfferState::kLocalOffer) d->offer = OfferState::kStable;
    if (st == 491) {
      // §14.1: the Call-ID owner waits 2.1–4 s, the other side 0–2 s, in 10 ms units.
      glare = d->owns_call_id ? milliseconds(2100 + 10 * (draw() % 191))
                              : milliseconds(10 * (draw() % 201));
      d->glare_method = c.method;
      ++d->glare_generation;
      arm(*d, TimerKind::kGlare, *glare);
    }
  }
  user_.on_response(ResponseEvent{id, did, response, timeout, glare});
  d = live(did);
  if (d == nullptr) return;
  if (invite && success && !d->defer_ack && d->unacked_cseq == c.cseq &&
      d->offer != OfferState::kRemoteOffer) {
    (void)send_ack(*d, c.cseq, {});
  }
  // §12.2.1.2: 481 and 408 (a timeout included) mean the dialog is gone.
  if (st == 481 || st == 408) end(*d, TerminationReason::kGone, &response);
}

void DialogLayer::on_transport_error(TransactionId id) {
  Entry entry(*this);
  auto it = client_.find(id);
  if (it == client_.end()) return;
  if (auto at = attempts_.find(id); at != attempts_.end() && at->second.answered) {
    return;  // the INVITE was answered; only its lingering Accepted state is lost
  }
  std::optional<DialogId> did;
  if (it->second.dialog != 0) did = it->second.dialog;
  user_.on_transport_error(id, did);
  if (did) {
    if (Dialog* d = live(*did)) end(*d, TerminationReason::kTransportError, nullptr);
  }
}

void DialogLayer::on_terminated(TransactionId id) {
  Entry entry(*this);
  if (auto at = attempts_.find(id); at != attempts_.end()) {
    Attempt& a = at->second;
    if (!a.answered) {
      --pending_creating_;
      a.answered = true;
    }
    // RFC 6026: the INVITE is over; forks that never answered 2xx are gone.
    for (DialogId did : a.dialogs) {
      if (Dialog* d = live(did)) {
        if (d->out_invite == id) d->out_invite = 0;
        if (d->phase == DialogPhase::kEarly) end(*d, TerminationReason::kEarlyAbandoned, nullptr);
      }
    }
  }
  if (auto c = client_.find(id); c != client_.end() && c->second.dialog != 0) {
    if (Dialog* d = live(c->second.dialog); d != nullptr && d->out_invite == id) d->out_invite = 0;
  }
  if (auto s = server_.find(id); s != server_.end()) {
    if (s->second.initial && !s->second.final_sent) {
      --pending_creating_;
      s->second.final_sent = true;
    }
    if (Dialog* d = live(s->second.dialog); d != nullptr && d->in_invite == id) d->in_invite = 0;
  }
  dead_txns_.push_back(id);
}

}  // namespace hotline::sip
