#include "app/sip_service.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "common/log.hpp"
#include "sip/serializer.hpp"
#include "sip/stateless_response.hpp"

namespace hotline::app {
namespace {

constexpr std::string_view kLog = "sip";

sip::TransportType to_sip(SipTransport t) {
  switch (t) {
    case SipTransport::kUdp: return sip::TransportType::kUdp;
    case SipTransport::kTcp: return sip::TransportType::kTcp;
    case SipTransport::kTls: return sip::TransportType::kTls;
  }
  return sip::TransportType::kUdp;
}

sip::TransportOptions transport_options(const SipConfig& c) {
  sip::TransportOptions o;
  o.tls_certificate = c.tls_certificate;
  o.tls_private_key = c.tls_private_key;
  return o;
}

sip::TransactionConfig transaction_config(const SipConfig& c, std::mt19937_64& random) {
  sip::TransactionConfig o;
  o.t1 = c.t1;
  o.t2 = c.t2;
  o.t4 = c.t4;
  o.max_transactions = static_cast<std::size_t>(c.max_transactions);
  o.random = [&random] { return random(); };
  return o;
}

sip::DialogConfig dialog_config(const SipConfig& c) {
  sip::DialogConfig o;
  const std::string host = c.listen.empty() ? "127.0.0.1" : c.listen.front().address.to_string();
  o.default_contact = "<sip:hotline@" + host + ">";
  o.call_id_host = "hotline";
  // Phones register from behind NAT and talk to us directly (no proxy): send
  // in-dialog requests back the way the dialog came.
  o.stick_to_peer = true;
  return o;
}

sip::RegistrarOptions registrar_options(const SipRegistrarConfig& c) {
  sip::RegistrarOptions o;
  o.min_expires = c.min_expires;
  o.max_expires = c.max_expires;
  o.default_expires = c.default_expires;
  o.max_contacts_per_aor = static_cast<std::size_t>(c.max_contacts_per_user);
  return o;
}

sip::AuthOptions auth_options(const SipAuthConfig& c) {
  sip::AuthOptions o;
  o.realm = c.realm;
  o.algorithms.clear();
  for (DigestAlgorithmName a : c.algorithms) {
    o.algorithms.push_back(a == DigestAlgorithmName::kSha256 ? sip::DigestAlgorithm::kSha256
                                                             : sip::DigestAlgorithm::kMd5);
  }
  o.nonce_lifetime = c.nonce_lifetime;
  o.per_source = {static_cast<std::uint32_t>(c.max_failures_per_source), c.failure_window,
                  c.ban_time, 100'000};
  o.per_user = {static_cast<std::uint32_t>(c.max_failures_per_user), c.failure_window, c.ban_time,
                100'000};
  return o;
}

std::string random_secret(std::mt19937_64& random) {
  return fmt::format("{:016x}{:016x}{:016x}{:016x}", random(), random(), random(), random());
}

std::uint64_t seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

constexpr std::string_view kAllow =
    "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, REFER, NOTIFY, UPDATE";

store::ContactRow to_row(const sip::Binding& b, const std::string& tenant) {
  store::ContactRow r;
  r.tenant_id = tenant;
  r.aor = b.aor;
  r.contact = b.contact;
  r.instance_id = b.instance_id;
  r.path = b.path;
  r.call_id = b.call_id;
  r.cseq = b.cseq;
  r.expires_at = b.expires_at;
  r.transport = std::string(sip::via_name(b.source.transport));
  r.source_address = b.source.remote.address;
  r.source_port = b.source.remote.port;
  r.local_address = b.source.local.address;
  r.local_port = b.source.local.port;
  r.user_agent = b.user_agent;
  r.updated_at = b.updated_at;
  return r;
}

}  // namespace

SipService::SipService(boost::asio::io_context& loop, const Clock& clock, const SipConfig& config,
                       const std::vector<Extension>& extensions, std::string tenant,
                       MetricsRegistry& metrics, store::LocationWriter* writer,
                       sip::MessageSender* wire)
    : loop_(loop),
      clock_(clock),
      config_(config),
      tenant_(std::move(tenant)),
      writer_(writer),
      random_(seed()),
      transport_(loop, transport_options(config), metrics),
      wire_(wire != nullptr ? *wire : static_cast<sip::MessageSender&>(transport_)),
      dialogs_(wire_, *this, clock, transaction_config(config, random_), dialog_config(config)),
      timer_(loop),
      qualify_timer_(loop),
      location_(clock),
      registrar_(location_, clock, registrar_options(config.registrar)),
      auth_(clock, auth_options(config.auth), random_secret(random_), nullptr),
      unhandled_(metrics.counter("hotline_sip_requests_not_implemented_total",
                                 "SIP requests answered 501 (no handler yet)")),
      register_ok_(metrics.counter("hotline_sip_register_total", "REGISTER requests by outcome",
                                   {{"result", "ok"}})),
      register_challenged_(metrics.counter("hotline_sip_register_total",
                                           "REGISTER requests by outcome",
                                           {{"result", "challenged"}})),
      register_refused_(metrics.counter("hotline_sip_register_total",
                                        "REGISTER requests by outcome", {{"result", "refused"}})),
      auth_failures_(metrics.counter("hotline_sip_auth_failures_total",
                                     "Failed digest authentications (wrong password, unknown "
                                     "user, replay, malformed)")),
      source_bans_(metrics.counter("hotline_sip_auth_bans_total",
                                   "Bans started after too many failed authentications",
                                   {{"kind", "source"}})),
      user_bans_(metrics.counter("hotline_sip_auth_bans_total",
                                 "Bans started after too many failed authentications",
                                 {{"kind", "user"}})),
      banned_dropped_(metrics.counter("hotline_sip_banned_requests_total",
                                      "Requests from banned sources or users, dropped or "
                                      "refused")),
      qualify_sent_(metrics.counter("hotline_sip_qualify_sent_total",
                                    "OPTIONS qualify requests sent to registered contacts")),
      qualify_unreachable_(metrics.counter("hotline_sip_qualify_unreachable_total",
                                           "Contacts found unreachable by OPTIONS qualify")),
      contacts_(metrics.gauge("hotline_sip_contacts", "Registered SIP contacts")),
      transactions_(metrics.gauge("hotline_sip_transactions", "Live SIP transactions")) {
  set_extensions(extensions);
  transport_.set_handler(
      [this](sip::Message&& m, const sip::Peer& from) { on_message(std::move(m), from); });
  transport_.set_failure_handler([this](const sip::Peer& peer) {
    dialogs_.transport_failed(peer);
    arm_timer();
  });
}

SipService::~SipService() {
  stop();
}

void SipService::set_extensions(const std::vector<Extension>& extensions) {
  // The guard keeps each user's HA1, computed here once instead of per request.
  std::vector<std::pair<std::string, std::string>> users;
  users.reserve(extensions.size());
  for (const Extension& e : extensions) users.emplace_back(e.user, e.password);
  auth_.set_users(users);
}

void SipService::restore(const std::vector<store::ContactRow>& rows) {
  const Timestamp now = clock_.now();
  std::size_t n = 0;
  for (const store::ContactRow& r : rows) {
    if (r.expires_at <= now) continue;
    sip::Binding b;
    b.aor = r.aor;
    b.contact = r.contact;
    b.instance_id = r.instance_id;
    b.path = r.path;
    b.call_id = r.call_id;
    b.cseq = static_cast<std::uint32_t>(r.cseq);
    b.expires_at = r.expires_at;
    b.source.transport = sip::transport_from_via(r.transport).value_or(sip::TransportType::kUdp);
    b.source.remote = {r.source_address, static_cast<std::uint16_t>(r.source_port)};
    b.source.local = {r.local_address, static_cast<std::uint16_t>(r.local_port)};
    b.source.connection_id = 0;  // the connection died with the old process
    b.user_agent = r.user_agent;
    b.updated_at = r.updated_at;
    location_.upsert(std::move(b));
    ++n;
  }
  update_gauges();
  log::info(kLog, "registrations restored", {log::kv("contacts", n)});
}

Status SipService::start() {
  for (const SipListener& l : config_.listen) {
    if (auto st = transport_.listen(to_sip(l.transport), l.address.host, l.address.port); !st) {
      transport_.stop();
      return st;
    }
  }
  for (const sip::Peer& p : transport_.listeners()) {
    log::info(kLog, "listening",
              {log::kv("transport", sip::via_name(p.transport)),
               log::kv("address", p.local.to_string())});
  }
  stopped_ = false;
  schedule_qualify();
  return {};
}

void SipService::stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  qualify_timer_.cancel();
  transport_.stop();
}

// ---- The transaction layer on the loop.

void SipService::on_message(sip::Message&& m, const sip::Peer& from) {
  if (m.is_request() && config_.auth.ban_response == BanResponse::kDrop &&
      auth_.is_source_banned(from.remote.address)) {
    banned_dropped_.inc();  // silence: no transaction, no answer
    return;
  }
  if (m.is_request() && m.method() == "REGISTER" && !m.vias().empty() &&
      !m.header(sip::HeaderId::kAuthorization)) {
    // RFC 3261 §8.2.7: challenges go out statelessly. A REGISTER without
    // credentials gets its 401 with no server transaction, so nothing is kept for
    // Timer J's 32 s (half of a registration's transactions at 20,000/s), and a
    // retransmission is simply challenged again, the same way.
    sip::AuthResult auth = authenticate(m, from);
    if (auth.verdict == sip::AuthResult::Verdict::kChallenge) {
      register_challenged_.inc();
      auto b = sip::make_response(m, from, 401, std::string(sip::reason_phrase(401)), to_tag(m));
      for (const std::string& c : auth.challenges) b.add_header("WWW-Authenticate", c);
      if (!config_.server_header.empty()) b.add_header("Server", config_.server_header);
      wire_.send(sip::response_destination(m.vias().front(), from), b.serialize());
      return;
    }
  }
  dialogs_.on_message(std::move(m), from);
  arm_timer();
}

std::string SipService::to_tag(const sip::Message& request) {
  // A stable To tag per dialog-less request: the same answer for a retransmission
  // that slipped past the transaction (the layer absorbs the others).
  // Runs for every response: no formatting library.
  std::uint64_t h = std::hash<std::string_view>{}(request.call_id()) & 0xffffffffULL;
  char text[16];
  char* end = text + sizeof text;
  char* p = end;
  do {
    *--p = "0123456789abcdef"[h & 0xF];
    h >>= 4;
  } while (h != 0);
  std::string tag = "hl";
  tag.append(p, end);
  return tag;
}

void SipService::arm_timer() {
  transactions_.set(static_cast<std::int64_t>(dialogs_.transactions().size()));
  if (stopped_) return;
  std::optional<MonoTime> next = dialogs_.next_deadline();
  if (calls_deadline_) {
    if (auto c = calls_deadline_(); c && (!next || *c < *next)) next = c;
  }
  if (!next || (armed_ && *armed_ <= *next)) return;
  armed_ = next;
  timer_.expires_at(std::chrono::steady_clock::time_point(next->time_since_epoch()));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // re-armed earlier, or stopped
    armed_.reset();
    const MonoTime now = clock_.mono();
    dialogs_.on_timer(now);
    if (calls_timer_) calls_timer_(now);
    arm_timer();
  });
}

void SipService::set_call_handler(sip::DialogUser* handler,
                                  std::function<std::optional<MonoTime>()> next_deadline,
                                  std::function<void(MonoTime)> on_timer) {
  calls_ = handler;
  calls_deadline_ = std::move(next_deadline);
  calls_timer_ = std::move(on_timer);
}

std::vector<sip::Binding> SipService::contacts_of(std::string_view extension) const {
  std::vector<sip::Binding> out;
  location_.for_each([&](const sip::Binding& b) {
    if (b.aor == extension && b.reachable) out.push_back(b);
  });
  return out;
}

void SipService::on_request(const sip::IncomingRequest& r) {
  const std::string_view method = r.request.method();
  if (!r.dialog && method == "REGISTER") return handle_register(r.txn, r.request, r.source);
  if (!r.dialog && method == "OPTIONS") {
    return respond(r.txn, r.request, 200, {},
                   {{"Allow", std::string(kAllow)}, {"Accept", "application/sdp"}});
  }
  if (calls_ != nullptr) return calls_->on_request(r);
  unhandled_.inc();
  log::debug(kLog, "request not handled",
             {log::kv("method", method), log::kv("call_id", r.request.call_id()),
              log::kv("peer", r.source.remote.to_string())});
  respond(r.txn, r.request, r.dialog ? 481 : 501, {}, {{"Allow", std::string(kAllow)}});
}

void SipService::on_response(const sip::ResponseEvent& r) {
  if (qualifying_.contains(r.txn)) {
    // Any final answer, even 404 or 501, proves the phone is there.
    if (r.timeout) {
      qualify_result(r.txn, false, "no answer");
    } else if (r.response.status_code() >= 200) {
      qualify_result(r.txn, true, "answered");
    }
    return;
  }
  if (calls_ != nullptr) calls_->on_response(r);
}

void SipService::on_ack(sip::DialogId dialog, const sip::Message& ack) {
  if (calls_ != nullptr) calls_->on_ack(dialog, ack);
}

void SipService::on_cancelled(sip::TransactionId invite, std::optional<sip::DialogId> dialog) {
  if (calls_ != nullptr) calls_->on_cancelled(invite, dialog);
}

void SipService::on_glare_retry(sip::DialogId dialog, std::string_view method) {
  if (calls_ != nullptr) calls_->on_glare_retry(dialog, method);
}

void SipService::on_transport_error(sip::TransactionId txn, std::optional<sip::DialogId> dialog) {
  if (qualifying_.contains(txn)) return qualify_result(txn, false, "transport error");
  if (calls_ != nullptr) calls_->on_transport_error(txn, dialog);
}

void SipService::on_terminated(sip::DialogId dialog, sip::TerminationReason reason,
                               const sip::Message* cause) {
  if (calls_ != nullptr) calls_->on_terminated(dialog, reason, cause);
}

void SipService::respond(sip::TransactionId id, const sip::Message& request, int status,
                         std::string_view reason,
                         const std::vector<std::pair<std::string, std::string>>& headers) {
  auto b = dialogs_.transactions().response_for(
      id, status, std::string(reason.empty() ? sip::reason_phrase(status) : reason),
      to_tag(request));
  if (!b) return;
  for (const auto& [name, value] : headers) b->add_header(name, value);
  if (!config_.server_header.empty()) b->add_header("Server", config_.server_header);
  if (auto st = dialogs_.transactions().respond(id, *b); !st) {
    log::debug(kLog, "cannot respond", {log::kv("error", st.error().message)});
  }
}

// ---- Registrar.

sip::AuthResult SipService::authenticate(const sip::Message& request, const sip::Peer& source) {
  sip::AuthResult r = auth_.check(request, source);
  if (r.failure) {
    auth_failures_.inc();
    log::warn(kLog, "authentication failed",
              {log::kv("method", request.method()), log::kv("user", r.user),
               log::kv("source", source.remote.to_string()), log::kv("reason", r.reason)});
  }
  if (r.source_ban_started) {
    source_bans_.inc();
    log::warn(
        kLog, "source banned after failed authentications",
        {log::kv("source", source.remote.address),
         log::kv("ban_time_s",
                 std::chrono::duration_cast<std::chrono::seconds>(config_.auth.ban_time).count())});
    emit("sip.auth_banned", {{"kind", "source"}, {"source", source.remote.address}});
  }
  if (r.user_ban_started) {
    user_bans_.inc();
    log::warn(kLog, "user banned after failed authentications", {log::kv("user", r.user)});
    emit("sip.auth_banned", {{"kind", "user"}, {"user", r.user}});
  }
  if (r.verdict == sip::AuthResult::Verdict::kBanned && !r.source_ban_started &&
      !r.user_ban_started) {
    banned_dropped_.inc();
  }
  return r;
}

void SipService::handle_register(sip::TransactionId id, const sip::Message& request,
                                 const sip::Peer& source) {
  using Verdict = sip::AuthResult::Verdict;
  sip::AuthResult auth = authenticate(request, source);
  switch (auth.verdict) {
    case Verdict::kChallenge: {
      register_challenged_.inc();
      std::vector<std::pair<std::string, std::string>> h;
      for (std::string& c : auth.challenges) h.emplace_back("WWW-Authenticate", std::move(c));
      respond(id, request, 401, {}, h);
      return;
    }
    case Verdict::kBanned:
      // A banned user, or the failure that started a ban: 403. (Requests from a
      // source already banned in drop mode never reach a transaction.)
      register_refused_.inc();
      respond(id, request, 403);
      return;
    case Verdict::kForbidden:
      register_refused_.inc();
      respond(id, request, 403);
      return;
    case Verdict::kAccepted: break;
  }
  sip::RegisterOutcome out = registrar_.handle(request, source, auth.user);
  if (out.status != 200) {
    register_refused_.inc();
    log::info(kLog, "REGISTER refused",
              {log::kv("user", auth.user), log::kv("status", out.status),
               log::kv("reason", out.reason), log::kv("source", source.remote.to_string())});
    respond(id, request, out.status, out.reason, out.headers);
    return;
  }
  register_ok_.inc();
  for (const std::string& contact : out.added) {
    log::info(kLog, "contact registered",
              {log::kv("aor", auth.user), log::kv("contact", contact),
               log::kv("source", source.remote.to_string()),
               log::kv("transport", sip::via_name(source.transport))});
    emit("sip.registered", {{"aor", auth.user}, {"contact", contact}});
  }
  for (const sip::Binding& b : out.upserted) {
    if (!log::enabled(log::Level::kDebug)) break;  // the fields cost more than the rest
    log::debug(
        kLog, "contact refreshed",
        {log::kv("aor", b.aor), log::kv("contact", b.contact),
         log::kv(
             "expires_s",
             std::chrono::duration_cast<std::chrono::seconds>(b.expires_at - clock_.now()).count()),
         log::kv("transport", sip::via_name(b.source.transport)),
         log::kv("source", b.source.remote.to_string())});
  }
  for (const sip::Binding& b : out.removed) {
    log::info(kLog, "contact unregistered", {log::kv("aor", b.aor), log::kv("contact", b.contact)});
    emit("sip.unregistered", {{"aor", b.aor}, {"contact", b.contact}});
  }
  persist(out);
  update_gauges();
  respond(id, request, 200, {}, out.headers);
}

void SipService::persist(const sip::RegisterOutcome& outcome) {
  if (writer_ == nullptr) return;
  for (const sip::Binding& b : outcome.removed) writer_->remove(tenant_, b.aor, b.contact);
  for (const sip::Binding& b : outcome.upserted) writer_->upsert(to_row(b, tenant_));
}

void SipService::expire() {
  for (const sip::Binding& b : location_.expire()) {
    log::info(kLog, "contact expired", {log::kv("aor", b.aor), log::kv("contact", b.contact)});
    emit("sip.unregistered", {{"aor", b.aor}, {"contact", b.contact}, {"reason", "expired"}});
    if (writer_ != nullptr) writer_->remove(tenant_, b.aor, b.contact);
  }
  update_gauges();
}

void SipService::update_gauges() {
  contacts_.set(static_cast<std::int64_t>(location_.size()));
}

void SipService::emit(std::string type, nlohmann::json payload) {
  if (events_) events_(std::move(type), std::move(payload));
}

nlohmann::json SipService::registrations() const {
  nlohmann::json list = nlohmann::json::array();
  const Timestamp now = clock_.now();
  location_.for_each([&](const sip::Binding& b) {
    list.push_back({
        {"aor", b.aor},
        {"contact", b.contact},
        {"expires_in",
         std::chrono::duration_cast<std::chrono::seconds>(b.expires_at - now).count()},
        {"expires_at", format_rfc3339(b.expires_at)},
        {"transport", sip::via_name(b.source.transport)},
        {"source", b.source.remote.to_string()},
        {"user_agent", b.user_agent},
        {"instance_id", b.instance_id},
        {"path", b.path},
        {"reachable", b.reachable},
    });
  });
  return {{"registrations", std::move(list)}};
}

// ---- OPTIONS qualify.

void SipService::schedule_qualify() {
  if (stopped_ || config_.qualify_interval <= Duration::zero()) return;
  qualify_timer_.expires_after(config_.qualify_interval);
  qualify_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    expire();
    qualify();
    schedule_qualify();
  });
}

void SipService::qualify() {
  std::vector<sip::Binding> all;
  location_.for_each([&](const sip::Binding& b) { all.push_back(b); });
  for (const sip::Binding& b : all) {
    const bool pending = std::any_of(qualifying_.begin(), qualifying_.end(), [&](const auto& q) {
      return q.second.aor == b.aor && q.second.contact == b.contact;
    });
    if (pending) continue;
    const sip::Peer local = b.source;
    auto req = sip::MessageBuilder::request("OPTIONS", b.contact);
    req.add_header("Max-Forwards", "70");
    req.add_header("From", fmt::format("<sip:hotline@{}>;tag=q{:x}", local.local.to_string(),
                                       random_() & 0xffffffffULL));
    req.add_header("To", fmt::format("<{}>", b.contact));
    req.add_header("Call-ID", fmt::format("q{:016x}@hotline", random_()));
    req.add_header("CSeq", "1 OPTIONS");
    if (!config_.server_header.empty()) req.add_header("User-Agent", config_.server_header);
    req.add_header("Content-Length", "0");
    auto id = dialogs_.send_request(req, b.source);
    if (!id) {
      log::debug(kLog, "cannot send OPTIONS qualify",
                 {log::kv("contact", b.contact), log::kv("error", id.error().message)});
      continue;
    }
    qualify_sent_.inc();
    qualifying_.emplace(*id, Qualifying{b.aor, b.contact});
  }
  arm_timer();
}

void SipService::qualify_result(sip::TransactionId id, bool reachable, std::string_view why) {
  auto it = qualifying_.find(id);
  if (it == qualifying_.end()) return;
  const sip::Binding* b = location_.find(it->second.aor, it->second.contact);
  if (b != nullptr && b->reachable != reachable) {
    location_.set_reachable(it->second.aor, it->second.contact, reachable);
    if (reachable) {
      log::info(kLog, "contact reachable again",
                {log::kv("aor", it->second.aor), log::kv("contact", it->second.contact)});
      emit("sip.contact_reachable", {{"aor", it->second.aor}, {"contact", it->second.contact}});
    } else {
      qualify_unreachable_.inc();
      log::warn(kLog, "contact unreachable",
                {log::kv("aor", it->second.aor), log::kv("contact", it->second.contact),
                 log::kv("reason", why)});
      emit("sip.contact_unreachable",
           {{"aor", it->second.aor}, {"contact", it->second.contact}, {"reason", why}});
    }
  }
  qualifying_.erase(it);
}

}  // namespace hotline::app
