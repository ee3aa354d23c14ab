#include "switch/b2bua.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <type_traits>
#include <variant>

#include "common/log.hpp"
#include "media/tones.hpp"
#include "sip/headers.hpp"
#include "sip/stateless_response.hpp"

namespace hotline::sw {
namespace {

sip::Content sdp_content(std::string body) {
  sip::Content c;
  c.body = std::move(body);
  return c;
}

double seconds_between(MonoTime a, MonoTime b) {
  return std::chrono::duration<double>(b - a).count();
}

// The dialled number: the Request-URI's user part, else the To URI's.
std::string dialled_of(const sip::Message& m) {
  std::string user = m.request_uri().user_unescaped();
  if (user.empty()) user = m.to().uri.user_unescaped();
  return user;
}

// Does this offer put the sender's peer on hold (sendonly/inactive audio, or the
// RFC 2543 c=0.0.0.0)?
bool offer_holds(std::string_view body) {
  auto sd = media::parse_sdp(body);
  if (!sd) return false;
  for (std::size_t i = 0; i < sd->media.size(); ++i) {
    if (sd->media[i].media != "audio" || sd->media[i].port == 0) continue;
    const media::Direction d = sd->direction_of(i);
    if (d == media::Direction::kSendOnly || d == media::Direction::kInactive) return true;
    auto conn = sd->connection_of(i);
    return conn && conn->address == "0.0.0.0";
  }
  return false;
}

// The parts of a Replaces value (RFC 3891): "call-id;to-tag=a;from-tag=b".
struct ReplacesId {
  std::string call_id, to_tag, from_tag;
};
std::optional<ReplacesId> parse_replaces(std::string_view value) {
  ReplacesId r;
  std::size_t semi = value.find(';');
  r.call_id = std::string(value.substr(0, semi));
  while (semi != std::string_view::npos) {
    value.remove_prefix(semi + 1);
    semi = value.find(';');
    std::string_view param = value.substr(0, semi);
    while (!param.empty() && param.front() == ' ') param.remove_prefix(1);
    const std::size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;  // early-only and the like
    std::string_view name = param.substr(0, eq);
    std::string_view v = param.substr(eq + 1);
    if (name == "to-tag") r.to_tag = std::string(v);
    if (name == "from-tag") r.from_tag = std::string(v);
  }
  while (!r.call_id.empty() && r.call_id.back() == ' ') r.call_id.pop_back();
  if (r.call_id.empty() || r.to_tag.empty() || r.from_tag.empty()) return std::nullopt;
  return r;
}

// The Replaces header inside a Refer-To URI's headers ("Replaces=...&x=y"), unescaped.
std::optional<std::string> replaces_in_uri_headers(std::string_view headers) {
  while (!headers.empty()) {
    const std::size_t amp = headers.find('&');
    std::string_view h = headers.substr(0, amp);
    const std::size_t eq = h.find('=');
    if (eq != std::string_view::npos && sip::unescape(h.substr(0, eq)) == "Replaces") {
      return sip::unescape(h.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    headers.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(RecordingMode mode) {
  switch (mode) {
    case RecordingMode::kOff: return "off";
    case RecordingMode::kStereo: return "stereo";
    case RecordingMode::kMixed: return "mixed";
  }
  return "?";
}

RecordingMode RecordingPolicy::for_call(std::string_view queue, std::string_view extension) const {
  if (!queue.empty()) {
    if (auto it = queues.find(queue); it != queues.end()) return it->second;
  }
  if (!extension.empty()) {
    if (auto it = extensions.find(extension); it != extensions.end()) return it->second;
  }
  return mode;
}

std::string_view to_string(EndCause cause) {
  switch (cause) {
    case EndCause::kCallerHangup: return "caller-hangup";
    case EndCause::kCalleeHangup: return "callee-hangup";
    case EndCause::kCallerCancelled: return "caller-cancelled";
    case EndCause::kRejected: return "rejected";
    case EndCause::kNoAnswer: return "no-answer";
    case EndCause::kUnavailable: return "unavailable";
    case EndCause::kMediaTimeout: return "media-timeout";
    case EndCause::kMaxDuration: return "max-duration";
    case EndCause::kIvrHangup: return "ivr-hangup";
    case EndCause::kFailed: return "failed";
    case EndCause::kShutdown: return "shutdown";
    case EndCause::kQueueTimeout: return "queue-timeout";
    case EndCause::kFeatureDone: return "feature-done";
    case EndCause::kTransferred: return "transferred";
  }
  return "?";
}

B2bua::B2bua(const Clock& clock, media::MediaEngine& media, B2buaPorts ports, B2buaConfig config)
    : clock_(clock), media_(media), ports_(std::move(ports)), config_(std::move(config)) {
  if (config_.metrics != nullptr) {
    refused_unknown_source_ = &config_.metrics->counter("hotline_calls_refused_total",
                                                        "Calls refused before routing, by reason.",
                                                        {{"reason", "unknown-source"}});
  }
}

bool B2bua::only_trunks_route(const sip::Message& invite) const {
  const std::string number = dialled_of(invite);
  if (features_.match(number)) return false;  // extensions dial feature codes
  auto dialled = normalize(number, plan_.numbering());
  if (!dialled) return false;  // an extension gets its 484 after the challenge
  bool trunk_rule = false;
  for (const DialRule& rule : plan_.rules()) {
    if (!rule.number.matches(dialled->digits)) continue;
    // The caller pattern is not looked at: the decision must not depend on the From.
    const bool for_extensions =
        rule.from.empty() || std::ranges::find(rule.from, "extension") != rule.from.end();
    if (for_extensions) return false;
    trunk_rule = true;
  }
  return trunk_rule;
}

void B2bua::emit(const Call& call, std::string_view type, nlohmann::json payload) {
  log::debug("switch", "call event", {log::kv("type", type), log::kv("call", call.id)});
  if (ports_.emit) ports_.emit(type, call.id, payload);
}

void B2bua::respond(sip::TransactionId txn, int status, std::string_view reason) {
  sip::Reply reply;
  reply.status = status;
  reply.reason = std::string(reason.empty() ? sip::reason_phrase(status) : reason);
  (void)dialogs_->respond(txn, reply);
}

B2bua::Call* B2bua::by_dialog(sip::DialogId dialog) {
  auto it = by_dialog_.find(dialog);
  if (it == by_dialog_.end()) return nullptr;
  auto c = calls_.find(it->second);
  return c == calls_.end() ? nullptr : &c->second;
}

B2bua::Call* B2bua::by_txn(sip::TransactionId txn, Fork** fork) {
  auto it = by_txn_.find(txn);
  if (it == by_txn_.end()) return nullptr;
  auto c = calls_.find(it->second);
  if (c == calls_.end()) return nullptr;
  if (fork != nullptr) {
    *fork = nullptr;
    for (Fork& f : c->second.forks) {
      if (f.txn == txn) *fork = &f;
    }
  }
  return &c->second;
}

// ---- Requests -------------------------------------------------------------

void B2bua::on_request(const sip::IncomingRequest& r) {
  const std::string_view method = r.request.method();
  if (!r.dialog) {
    if (method == "INVITE") return on_new_invite(r);
    // The registrar takes REGISTER before us; anything else outside a dialog:
    if (method == "OPTIONS") return respond(r.txn, 200, "");
    return respond(r.txn, 405, "");
  }
  Call* call = by_dialog(*r.dialog);
  if (call == nullptr) return respond(r.txn, 481, "");
  if (method == "INVITE" || method == "UPDATE") return on_reinvite(*call, r);
  if (method == "REFER") return on_refer(*call, r);
  if (method == "OPTIONS" || method == "INFO" || method == "NOTIFY") return respond(r.txn, 200, "");
  respond(r.txn, 501, "");
}

void B2bua::on_reinvite(Call& call, const sip::IncomingRequest& r) {
  // Hold/resume or a new address: our endpoint answers; the other leg need not
  // know, since media is anchored here.
  const bool inbound = call.inbound == r.dialog;
  const bool outbound = call.outbound == r.dialog;
  media::EndpointId ep = inbound ? call.caller_media : call.callee_media;
  if (!inbound && !outbound && call.transfer && call.transfer->referrer == r.dialog) {
    ep = call.transfer->referrer_media;
  }
  if (r.request.body().empty()) return respond(r.txn, 488, "offer required");
  auto answer = media_.answer_reoffer(ep, r.request.body());
  if (!answer) return respond(r.txn, 488, "");
  sip::Reply ok;
  ok.contact = config_.contact;
  ok.content = sdp_content(std::move(*answer));
  (void)dialogs_->respond(r.txn, ok);
  const std::string_view leg = inbound ? "caller" : outbound ? "callee" : "referrer";
  emit(call, "call.media_updated", {{"leg", leg}});
  if (!call.connected || (!inbound && !outbound)) return;
  // A hold from one side: the other hears music until the holder resumes.
  const bool holds = offer_holds(r.request.body());
  bool& side_holds = inbound ? call.caller_holds : call.callee_holds;
  if (holds == side_holds) return;
  side_holds = holds;
  const media::EndpointId other = inbound ? call.callee_media : call.caller_media;
  if (holds) {
    start_music(call, other);
    emit(call, "call.held", {{"by", leg}});
  } else {
    (void)media_.stop_playback(other);
    emit(call, "call.resumed", {{"by", leg}});
  }
}

void B2bua::start_music(Call& call, media::EndpointId ep) {
  if (ports_.play && ep != 0) ports_.play(call.id, ep, config_.music_on_hold);
}

void B2bua::on_new_invite(const sip::IncomingRequest& r) {
  std::string origin;
  std::optional<FeatureMatch> feature;
  std::string extension;
  if (const Trunk* trunk = trunks_.by_source(r.source.remote.address)) {
    origin = "trunk:" + trunk->name;
  } else {
    if (only_trunks_route(r.request)) {
      // Challenging would only invite password guessing for a call no extension may place.
      if (refused_unknown_source_ != nullptr) refused_unknown_source_->inc();
      log::debug(
          "switch", "call from an unknown source refused",
          {log::kv("source", r.source.remote.to_string()),
           log::kv("dialled", dialled_of(r.request)), log::kv("call_id", r.request.call_id())});
      return respond(r.txn, 403, "");
    }
    auto ext = ports_.authenticate_extension ? ports_.authenticate_extension(r)
                                             : std::optional<std::string>();
    if (!ext) return;  // challenged or refused by the port
    origin = "extension";
    extension = *ext;
    // Feature codes only from our own phones (a trunk caller cannot log agents in).
    if (sink_ != nullptr) feature = features_.match(dialled_of(r.request));
  }
  if (auto replaces = r.request.header("Replaces")) {
    // RFC 3891: this party takes the place of a leg of a call hotline carries.
    auto id = parse_replaces(*replaces);
    if (!id) return respond(r.txn, 400, "Bad Replaces");
    auto leg = dialogs_->lookup(id->call_id, id->to_tag, id->from_tag);
    if (!leg) leg = dialogs_->lookup(id->call_id, id->from_tag, id->to_tag);
    Call* call = leg ? by_dialog(*leg) : nullptr;
    if (call == nullptr || !call->connected || (call->inbound != leg && call->outbound != leg)) {
      return respond(r.txn, 481, "");
    }
    return replace_leg(*call, *leg, r, extension);
  }
  if (feature) {
    Call& call = calls_[next_call_];
    call.id = next_call_++;
    call.inbound_txn = r.txn;
    call.caller = extension;
    call.dialled = dialled_of(r.request);
    call.origin = origin;
    call.started = clock_.mono();
    set_timer(call, Timer::kMax, call.started + config_.max_call_duration);
    call.feature = true;
    by_txn_[r.txn] = call.id;
    emit(call, "call.created",
         {{"caller", call.caller},
          {"dialled", call.dialled},
          {"origin", origin},
          {"call_id", std::string(r.request.call_id())}});
    return start_feature(call, r, extension, *feature);
  }
  const NumberingPlan& plan = plan_.numbering();
  auto dialled = normalize(dialled_of(r.request), plan);
  if (!dialled) return respond(r.txn, 484, "");
  auto caller = normalize(r.request.from().uri.user_unescaped(), plan);
  Number caller_number = caller ? *caller : Number{NumberKind::kShort, "anonymous"};

  Call& call = calls_[next_call_];
  call.id = next_call_++;
  call.inbound_txn = r.txn;
  call.caller = caller_number.digits;
  call.dialled = dialled->digits;
  call.origin = origin;
  call.started = clock_.mono();
  set_timer(call, Timer::kMax, call.started + config_.max_call_duration);
  by_txn_[r.txn] = call.id;
  if (origin == "extension") index_extension(call, call.caller);
  emit(call, "call.created",
       {{"caller", call.caller},
        {"dialled", call.dialled},
        {"origin", origin},
        {"call_id", std::string(r.request.call_id())}});

  auto route = plan_.route(CallInfo{*dialled, caller_number, origin});
  if (!route) return end(call, EndCause::kRejected, 404);
  route_call(call, r, *route);
}

void B2bua::route_call(Call& call, const sip::IncomingRequest& r, const Route& route) {
  call.target = fmt::format("{}:{}", to_string(route.target.kind), route.target.name);
  call.source = route.rule->source;
  emit(call, "call.routed",
       {{"rule", route.rule->name}, {"target", call.target}, {"source", call.source}});
  const Target::Kind kind = route.target.kind;
  if (kind == Target::Kind::kReject) {
    return end(call, EndCause::kRejected, route.target.reject_status);
  }
  const bool ivr = kind == Target::Kind::kIvr && ports_.flow;
  const bool queue = kind == Target::Kind::kQueue && (sink_ != nullptr || ports_.enqueue);
  if (kind != Target::Kind::kExtension && !ivr && !queue) {
    return end(call, EndCause::kRejected, 501);  // queues, voicemail, trunks: next slices
  }
  if (r.request.body().empty()) return end(call, EndCause::kFailed, 488);
  // A party already in a call gets its new leg on the same media thread, so an
  // attended transfer can later join the two calls' other parties.
  media::EndpointOptions options;
  if (call.origin == "extension") options.colocate_with = colocation_for(call.caller);
  auto answer = media_.create_answer(r.request.body(), options);
  if (!answer && options.colocate_with) answer = media_.create_answer(r.request.body());
  if (!answer) {
    const bool full = answer.error().code == ErrorCode::kResourceExhausted;
    log::warn("switch", "cannot make the caller's media endpoint",
              {log::kv("call", call.id), log::kv("status", full ? 503 : 488),
               log::kv("error", answer.error().message)});
    return end(call, EndCause::kFailed, full ? 503 : 488);
  }
  call.caller_media = answer->id;
  by_endpoint_[answer->id] = call.id;
  if (endpoint_observer_) endpoint_observer_(call.id, answer->id);
  call.caller_answer_sdp = std::move(answer->sdp);
  if (ivr) {
    if (route.rule->early_media ? !early_media(call) : !answer_caller(call)) return;
    return start_ivr(call, route.target.name);
  }
  if (queue) {
    if (!answer_caller(call)) return;
    cc::ivr::RouteToQueue q;
    q.queue = route.target.name;
    if (!enqueue_call(call, q)) end(call, EndCause::kRejected);
    return;
  }
  ring_extension(call, route.target.name, r.request.from().display_name_text());
}

void B2bua::ring_extension(Call& call, const std::string& extension,
                           const std::string& caller_name) {
  const std::vector<Contact> contacts =
      ports_.locate ? ports_.locate(extension) : std::vector<Contact>{};
  if (contacts.empty()) return ring_failed(call, EndCause::kUnavailable, 480);
  if (ring_contacts(call, contacts, extension, caller_name, 0) == 0) {
    return ring_failed(call, EndCause::kFailed, 503);
  }
  set_timer(call, Timer::kRing, clock_.mono() + config_.ring_timeout);
  emit(call, "call.ringing_devices", {{"extension", extension}, {"devices", call.forks.size()}});
}

std::size_t B2bua::ring_contacts(Call& call, const std::vector<Contact>& contacts,
                                 const std::string& to_user, const std::string& caller_name,
                                 std::uint32_t tag) {
  if (contacts.empty()) return 0;
  if (call.callee_media == 0) {
    media::EndpointOptions options;
    options.colocate_with = call.caller_media;
    auto offer = media_.create_offer(options);
    if (!offer) {
      log::warn("switch", "cannot make the callee's media endpoint",
                {log::kv("call", call.id), log::kv("error", offer.error().message)});
      return 0;
    }
    call.callee_media = offer->id;
    call.callee_offer_sdp = std::move(offer->sdp);
    by_endpoint_[call.callee_media] = call.id;
  }
  const std::string from =
      fmt::format("{}<sip:{}@{}>", caller_name.empty() ? "" : fmt::format("\"{}\" ", caller_name),
                  call.caller, config_.domain);
  std::size_t sent = 0;
  for (const Contact& contact : contacts) {
    sip::OutgoingInvite invite;
    invite.request_uri = contact.uri;
    invite.from = from;
    invite.to = fmt::format("<sip:{}@{}>", to_user, config_.domain);
    invite.contact = config_.contact;
    invite.destination = contact.destination;
    invite.content = sdp_content(call.callee_offer_sdp);
    auto txn = dialogs_->invite(invite);
    if (!txn) {
      log::warn("switch", "cannot ring a device",
                {log::kv("call", call.id), log::kv("contact", contact.uri),
                 log::kv("error", txn.error().message)});
      continue;
    }
    call.forks.push_back(Fork{*txn, std::nullopt, contact.uri, false, 0, tag, to_user});
    by_txn_[*txn] = call.id;
    ++sent;
  }
  return sent;
}

// ---- Queues ----------------------------------------------------------------

bool B2bua::enqueue_call(Call& call, const cc::ivr::RouteToQueue& route) {
  if (sink_ == nullptr) return ports_.enqueue && ports_.enqueue(call.id, route);
  call.queued = true;
  call.queue = route.queue;
  emit(call, "call.enqueued", {{"queue", route.queue}});
  return sink_->enqueue(call.id, route);
}

Status B2bua::ring_agent(CallId id, const std::vector<std::string>& extensions, std::uint32_t tag) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return fail(ErrorCode::kNotFound, "no such call");
  Call& call = it->second;
  if (!call.queued || call.connected) {
    return fail(ErrorCode::kFailedPrecondition, "the call is not waiting for an agent");
  }
  std::size_t sent = 0;
  for (const std::string& ext : extensions) {
    if (!ports_.locate) break;
    sent += ring_contacts(call, ports_.locate(ext), ext, "", tag);
  }
  const std::string to_user = extensions.empty() ? std::string("agent") : extensions.front();
  emit(call, "call.ringing_devices",
       {{"extension", to_user}, {"devices", sent}, {"agent_tag", tag}});
  // No device (none registered, or none reachable): the ACD's ring timeout turns
  // this into a redirect on no answer, counted against the agent.
  if (sent == 0) log::info("switch", "agent has no device to ring", {log::kv("call", id)});
  return {};
}

void B2bua::cancel_ring(CallId id, std::uint32_t tag) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  Call& call = it->second;
  if (call.connected) return;
  std::erase_if(call.forks, [&](const Fork& f) {
    if (f.tag != tag) return false;
    by_txn_.erase(f.txn);
    if (!f.finished) (void)dialogs_->cancel(f.txn);
    if (f.dialog) by_dialog_.erase(*f.dialog);
    return true;
  });
  if (call.forks.empty()) drop_callee_media(call);
}

void B2bua::drop_callee_media(Call& call) {
  if (call.callee_media == 0) return;
  by_endpoint_.erase(call.callee_media);
  (void)media_.destroy(call.callee_media);
  call.callee_media = 0;
  call.callee_offer_sdp.clear();
}

void B2bua::play_to_caller(Call& call, const cc::ivr::Command& prompt) {
  cc::ivr::Command c = prompt;
  const cc::ivr::PromptId pid = next_prompt_++;
  std::visit(
      [&](auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, cc::ivr::PlayFile> || std::is_same_v<T, cc::ivr::PlayTts>) {
          v.id = pid;
        }
      },
      c);
  call.prompt = pid;
  if (ports_.play) ports_.play(call.id, call.caller_media, c);
}

void B2bua::hold(CallId id, cc::ivr::Command music) {
  auto it = calls_.find(id);
  if (it == calls_.end() || !it->second.queued || it->second.connected) return;
  Call& call = it->second;
  const bool was_holding = call.music.has_value();
  call.music = std::move(music);
  if (!was_holding) play_to_caller(call, *call.music);
}

void B2bua::announce(CallId id, cc::ivr::Command prompt) {
  auto it = calls_.find(id);
  if (it == calls_.end() || !it->second.queued || it->second.connected) return;
  Call& call = it->second;
  (void)media_.stop_playback(call.caller_media);
  play_to_caller(call, prompt);
  call.announcing = true;
}

void B2bua::route_to_extension(CallId id, const std::string& extension) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  Call& call = it->second;
  for (Fork& f : call.forks) {
    by_txn_.erase(f.txn);
    if (!f.finished) (void)dialogs_->cancel(f.txn);
    if (f.dialog) by_dialog_.erase(*f.dialog);
  }
  call.forks.clear();
  drop_callee_media(call);
  call.queued = false;
  call.music.reset();
  (void)media_.stop_playback(call.caller_media);
  emit(call, "call.routed", {{"rule", "queue exit"}, {"target", "extension:" + extension}});
  ring_extension(call, extension, "");
}

void B2bua::end_call(CallId id, EndCause cause) {
  auto it = calls_.find(id);
  if (it != calls_.end()) end(it->second, cause);
}

void B2bua::emit_event(std::string_view type, CallId call, const nlohmann::json& payload) {
  log::debug("switch", "call event", {log::kv("type", type), log::kv("call", call)});
  if (ports_.emit) ports_.emit(type, call, payload);
}

void B2bua::start_feature(Call& call, const sip::IncomingRequest& r, const std::string& extension,
                          const FeatureMatch& match) {
  FeatureReply reply = sink_->feature(extension, match);
  emit(call, "call.feature",
       {{"feature", to_string(match.feature)},
        {"argument", match.argument},
        {"extension", extension},
        {"status", reply.status}});
  if (reply.status != 200) {
    const CallId id = call.id;
    respond(call.inbound_txn, reply.status, reply.reason);
    by_txn_.erase(call.inbound_txn);
    call.inbound_txn = 0;
    if (auto c = calls_.find(id); c != calls_.end()) end(c->second, EndCause::kRejected);
    return;
  }
  if (r.request.body().empty()) return end(call, EndCause::kFailed, 488);
  auto answer = media_.create_answer(r.request.body());
  if (!answer) return end(call, EndCause::kFailed, 488);
  call.caller_media = answer->id;
  by_endpoint_[answer->id] = call.id;
  if (endpoint_observer_) endpoint_observer_(call.id, answer->id);
  call.caller_answer_sdp = std::move(answer->sdp);
  if (!answer_caller(call)) return;
  set_timer(call, Timer::kHangup, clock_.mono() + config_.feature_hangup);
  if (!reply.prompt.empty()) {
    cc::ivr::PlayTts tts;
    tts.text = reply.prompt;
    play_to_caller(call, tts);
  }
}

// ---- Responses to our INVITEs ---------------------------------------------

void B2bua::on_response(const sip::ResponseEvent& r) {
  Fork* fork = nullptr;
  Call* call = by_txn(r.txn, &fork);
  if (call == nullptr || fork == nullptr) {
    // A late 2xx for a call already gone: release the dialog it made.
    if (r.dialog && r.response.status_code() / 100 == 2 && r.response.cseq().method == "INVITE") {
      (void)dialogs_->bye(*r.dialog);
    }
    return;
  }
  if (r.response.cseq().method != "INVITE") return;
  on_fork_response(*call, *fork, r);
}

void B2bua::on_fork_response(Call& call, Fork& fork, const sip::ResponseEvent& r) {
  const int status = r.timeout ? 408 : r.response.status_code();
  if (r.dialog) {
    fork.dialog = r.dialog;
    by_dialog_[*r.dialog] = call.id;
  }
  if (status < 200) {
    if (call.queued && (status == 180 || status == 183)) {
      emit(call, "call.agent_ringing", {{"device", fork.contact}, {"agent_tag", fork.tag}});
    }
    if ((status == 180 || status == 183) && !call.ringing_sent && !call.answered) {
      // (A caller the IVR answered hears its prompts end; ringback comes with the
      // queue integration.)
      call.ringing_sent = true;
      respond(call.inbound_txn, 180, "");
      emit(call, "call.ringing", {{"device", fork.contact}});
    }
    return;
  }
  fork.finished = true;
  fork.status = status;
  if (status / 100 == 2) {
    if (call.connected) {  // another device answered first (its 200 crossed our CANCEL)
      if (r.dialog) {
        // ACK before BYE: the layer's own ACK would only go out after this callback,
        // behind the BYE. ack() clears the pending 2xx, so the layer sends no second one.
        if (auto st = dialogs_->ack(*r.dialog); !st) {
          log::warn("switch", "cannot ACK a late answer",
                    {log::kv("call", call.id), log::kv("error", st.error().message)});
        }
        (void)dialogs_->bye(*r.dialog);
      }
      return;
    }
    if (!r.dialog) return end(call, EndCause::kFailed, 500);
    call.outbound = r.dialog;
    if (auto st = media_.apply_answer(call.callee_media, r.response.body()); !st) {
      log::warn("switch", "device answered with unusable SDP",
                {log::kv("call", call.id), log::kv("error", st.error().message)});
      return end(call, EndCause::kFailed, 488);
    }
    for (Fork& other : call.forks) {
      if (&other != &fork && !other.finished) (void)dialogs_->cancel(other.txn);
    }
    if (call.ivr || call.queued || call.transfer) (void)media_.stop_playback(call.caller_media);
    call.music.reset();
    call.prompt = 0;
    if (auto st = media_.bridge(call.caller_media, call.callee_media); !st) {
      return end(call, EndCause::kFailed, 500);
    }
    call.connected = true;
    call.callee_number = fork.extension;
    index_extension(call, fork.extension);
    set_timer(call, Timer::kRing, std::nullopt);
    if (!call.answered && !answer_caller(call)) return;
    emit(call, "call.connected", {{"device", fork.contact}, {"extension", fork.extension}});
    if (call.transfer) {
      transfer_succeeded(call);
    } else if (call.queued && sink_ != nullptr) {
      const CallId id = call.id;
      sink_->agent_answered(id, fork.tag);
      if (!calls_.contains(id)) return;
    }
    on_bridged(call);
    return;
  }
  if (call.connected) return;
  // A waiting call: an agent's device refusing changes nothing (the ACD's ring
  // timeout moves the call on).
  if (call.queued) {
    emit(call, "call.agent_refused", {{"device", fork.contact}, {"status", status}});
    return;
  }
  const bool all_done =
      std::all_of(call.forks.begin(), call.forks.end(), [](const Fork& f) { return f.finished; });
  if (!all_done) return;
  // Every device refused: busy if any said so, else unavailable.
  const bool busy = std::any_of(call.forks.begin(), call.forks.end(),
                                [](const Fork& f) { return f.status == 486 || f.status == 600; });
  ring_failed(call, busy ? EndCause::kRejected : EndCause::kUnavailable, busy ? 486 : 480);
}

bool B2bua::early_media(Call& call) {
  sip::Reply progress;
  progress.status = 183;
  progress.reason = "Session Progress";
  progress.contact = config_.contact;
  progress.content = sdp_content(call.caller_answer_sdp);
  if (auto st = dialogs_->respond(call.inbound_txn, progress); !st) {
    end(call, EndCause::kFailed, 500);
    return false;
  }
  call.ringing_sent = true;  // the caller hears the prompts, not a ringback
  emit(call, "call.early_media", {});
  return true;
}

bool B2bua::answer_caller(Call& call) {
  sip::Reply ok;
  ok.contact = config_.contact;
  ok.content = sdp_content(call.caller_answer_sdp);
  auto dialog = dialogs_->respond(call.inbound_txn, ok);
  if (!dialog || !*dialog) {
    end(call, EndCause::kFailed, 0);
    return false;
  }
  call.inbound = **dialog;
  by_dialog_[**dialog] = call.id;
  call.answered = true;
  call.answered_at = clock_.mono();
  emit(call, "call.answered", {{"wait_s", seconds_between(call.started, call.answered_at)}});
  return true;
}

// ---- IVR ------------------------------------------------------------------

void B2bua::start_ivr(Call& call, const std::string& flow_name) {
  auto flow = ports_.flow(flow_name);
  if (!flow) {
    log::error("switch", "IVR flow not found",
               {log::kv("call", call.id), log::kv("flow", flow_name)});
    return end(call, EndCause::kFailed, 0);
  }
  call.ivr = std::make_unique<cc::ivr::Session>(
      std::move(flow),
      cc::ivr::CallContext{std::to_string(call.id), call.caller, call.dialled, call.source}, clock_,
      ports_.zones != nullptr ? *ports_.zones : utc_);
  emit(call, "ivr.started", {{"flow", flow_name}});
  run_ivr(call, call.ivr->start());
}

void B2bua::ivr_event(Call& call, const cc::ivr::Event& event) {
  if (!call.ivr || call.ivr->finished()) return;
  run_ivr(call, call.ivr->on_event(event));
}

void B2bua::run_ivr(Call& call, std::vector<cc::ivr::Command> commands) {
  namespace ivr = cc::ivr;
  const CallId id = call.id;
  // Events the switch answers at once (no port for it) go back in after the batch.
  std::deque<ivr::Event> immediate;
  for (;;) {
    // The nodes entered on the way to these commands, before what the commands
    // do (a terminal command may end the call, and ivr.ended follows its node).
    for (const ivr::TraceEntry& t : call.ivr->take_trace()) {
      if (t.kind == ivr::TraceEntry::Kind::kNodeEntered) {
        emit(call, "ivr.node_entered", {{"node", t.node}, {"type", t.detail}});
      }
    }
    for (const ivr::Command& command : commands) {
      if (!calls_.contains(id)) return;  // a command ended the call
      std::visit(
          [&](const auto& c) {
            using T = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<T, ivr::PlayFile> || std::is_same_v<T, ivr::PlayTts>) {
              call.prompt = c.id;
              if (ports_.play) {
                ports_.play(id, call.caller_media, command);
              } else {
                immediate.push_back(ivr::PromptFinished{c.id, true});
              }
            } else if constexpr (std::is_same_v<T, ivr::StopPrompt>) {
              if (call.prompt == c.id) (void)media_.stop_playback(call.caller_media);
              call.prompt = 0;
            } else if constexpr (std::is_same_v<T, ivr::StartTimer>) {
              call.ivr_timer = c.id;
              set_timer(call, Timer::kIvr, c.deadline);
            } else if constexpr (std::is_same_v<T, ivr::CancelTimer>) {
              if (timer(call, Timer::kIvr) && call.ivr_timer == c.id) {
                set_timer(call, Timer::kIvr, std::nullopt);
              }
            } else if constexpr (std::is_same_v<T, ivr::HttpGet>) {
              if (ports_.http_get) {
                ports_.http_get(id, c);
              } else {
                immediate.push_back(ivr::HttpFailed{c.id, "HTTP lookups are not configured"});
              }
            } else if constexpr (std::is_same_v<T, ivr::RequestCallback>) {
              emit(call, "callback.requested", {{"number", c.number}, {"queue", c.queue}});
            } else if constexpr (std::is_same_v<T, ivr::RouteToExtension>) {
              emit(call, "ivr.ended", {{"to", "extension:" + c.extension}});
              ring_extension(call, c.extension, "");
            } else if constexpr (std::is_same_v<T, ivr::TransferToNumber>) {
              emit(call, "ivr.ended", {{"to", "number:" + c.number}});
              auto n = normalize(c.number, plan_.numbering());
              if (n && n->kind == NumberKind::kShort) {
                ring_extension(call, n->digits, "");
              } else {
                end(call, EndCause::kFailed);  // transfers to trunks land with outbound trunks
              }
            } else if constexpr (std::is_same_v<T, ivr::RouteToQueue>) {
              emit(call, "ivr.ended", {{"to", "queue:" + c.queue}});
              // (A flow in early media is answered when it hands the call on.)
              if (call.answered || answer_caller(call)) {
                if (!enqueue_call(call, c)) end(call, EndCause::kRejected);
              }
            } else if constexpr (std::is_same_v<T, ivr::RouteToVoicemail>) {
              emit(call, "ivr.ended", {{"to", "voicemail:" + c.box}});
              if (call.answered || answer_caller(call)) {
                if (!ports_.voicemail || !ports_.voicemail(id, c)) end(call, EndCause::kRejected);
              }
            } else if constexpr (std::is_same_v<T, ivr::Hangup>) {
              emit(call, "ivr.ended", {{"to", "hangup"}, {"cause", c.cause}});
              end(call, EndCause::kIvrHangup);
            }
            // CollectDigits: the engine reports every key anyway. CancelHttp: a late
            // answer is stale to the session.
          },
          command);
    }
    if (!calls_.contains(id)) return;
    if (immediate.empty() || call.ivr->finished()) return;
    commands = call.ivr->on_event(immediate.front());
    immediate.pop_front();
  }
}

void B2bua::on_ivr_event(CallId id, const cc::ivr::Event& event) {
  auto it = calls_.find(id);
  if (it != calls_.end()) ivr_event(it->second, event);
}

// ---- Transfers (RFC 3515 REFER, RFC 3891 Replaces) ---------------------------

void B2bua::notify_refer(sip::DialogId dialog, int status, bool final) {
  sip::Content c;
  c.content_type = "message/sipfrag;version=2.0";
  c.body = fmt::format("SIP/2.0 {} {}\r\n", status, sip::reason_phrase(status));
  c.headers.emplace_back("Event", "refer");
  c.headers.emplace_back("Subscription-State",
                         final ? "terminated;reason=noresource" : "active;expires=60");
  if (auto st = dialogs_->request(dialog, "NOTIFY", c); !st) {
    log::info("switch", "cannot notify the referrer", {log::kv("error", st.error().message)});
  }
}

void B2bua::make_callee_side(Call& call, sip::DialogId leg) {
  if (call.outbound == leg) return;
  std::swap(call.inbound, call.outbound);
  std::swap(call.caller_media, call.callee_media);
  std::swap(call.caller, call.callee_number);
  std::swap(call.caller_holds, call.callee_holds);
}

void B2bua::on_refer(Call& call, const sip::IncomingRequest& r) {
  // The referrer is a party of this call: the dialog it authenticated for (or
  // that hotline set up to it) is its credential.
  if (r.dialog != call.inbound && r.dialog != call.outbound) return respond(r.txn, 403, "");
  if (!call.connected) return respond(r.txn, 403, "Not connected");
  if (call.transfer) return respond(r.txn, 491, "");
  auto refer_to_text = r.request.header(sip::HeaderId::kReferTo);
  if (!refer_to_text) return respond(r.txn, 400, "Missing Refer-To");
  auto refer_to = sip::parse_name_addr(*refer_to_text);
  if (!refer_to || !refer_to->uri.is_sip()) return respond(r.txn, 400, "Bad Refer-To");
  if (auto replaces = replaces_in_uri_headers(refer_to->uri.headers)) {
    auto id = parse_replaces(*replaces);
    if (!id) return respond(r.txn, 400, "Bad Replaces");
    auto leg = dialogs_->lookup(id->call_id, id->to_tag, id->from_tag);
    if (!leg) leg = dialogs_->lookup(id->call_id, id->from_tag, id->to_tag);
    Call* other = leg ? by_dialog(*leg) : nullptr;
    if (other == nullptr || other == &call || !other->connected ||
        (other->inbound != leg && other->outbound != leg)) {
      return respond(r.txn, 403, "Replaces names no call here");
    }
    return attended_transfer(call, *other, *leg, r);
  }
  const std::string number = refer_to->uri.user_unescaped();
  if (number.empty()) return respond(r.txn, 400, "Refer-To has no number");
  blind_transfer(call, r, number);
}

void B2bua::blind_transfer(Call& call, const sip::IncomingRequest& r, const std::string& number) {
  auto target = normalize(number, plan_.numbering());
  if (!target) return respond(r.txn, 484, "");
  const std::string by = call.inbound == r.dialog ? "caller" : "callee";
  make_callee_side(call, *r.dialog);
  const Number transferee =
      normalize(call.caller, plan_.numbering()).value_or(Number{NumberKind::kShort, call.caller});
  auto route = plan_.route(CallInfo{*target, transferee, "extension"});
  if (!route || route->target.kind != Target::Kind::kExtension) {
    return respond(r.txn, route ? 501 : 404, "");
  }
  respond(r.txn, 202, "");
  // The referrer's leg steps aside; the caller side (the transferee) hears ringback.
  Transfer t;
  t.referrer = call.outbound;
  t.referrer_media = call.callee_media;
  t.referrer_number = call.callee_number;
  t.by = by;
  t.target = route->target.name;
  notify_refer(*t.referrer, 100, false);
  emit(call, "call.transfer_requested", {{"by", by}, {"target", t.target}, {"kind", "blind"}});
  for (const Fork& f : call.forks) {
    by_txn_.erase(f.txn);
    // (After a swap the winning fork's dialog is the transferee's.)
    if (f.dialog && f.dialog != t.referrer && f.dialog != call.inbound) {
      by_dialog_.erase(*f.dialog);
    }
  }
  call.forks.clear();
  if (call.recording != 0 && call.recording == t.referrer_media) {
    (void)media_.stop_recording(call.recording);  // its file ends with the referrer
    call.recording = 0;
  }
  (void)media_.unbridge(call.caller_media);
  (void)media_.stop_playback(call.caller_media);
  (void)media_.stop_playback(t.referrer_media);
  call.outbound.reset();
  call.callee_media = 0;
  call.callee_offer_sdp.clear();
  call.connected = false;
  call.caller_holds = call.callee_holds = false;
  call.transfer = std::move(t);
  if (auto tone = media::make_tone_source(config_.tone_country, media::ToneKind::kRingback,
                                          media_.mix_rate())) {
    (void)media_.play(call.caller_media, std::move(*tone), false);
  }
  const std::string name = call.transfer->referrer_number;
  emit(call, "call.routed",
       {{"rule", route->rule->name}, {"target", "extension:" + route->target.name}});
  ring_extension(call, route->target.name, name);
}

void B2bua::ring_failed(Call& call, EndCause cause, int status) {
  if (call.transfer) return transfer_failed(call, cause, status);
  end(call, cause, status);
}

void B2bua::transfer_failed(Call& call, EndCause cause, int status) {
  Transfer t = std::move(*call.transfer);
  call.transfer.reset();
  for (const Fork& f : call.forks) {
    by_txn_.erase(f.txn);
    if (!f.finished) (void)dialogs_->cancel(f.txn);
    if (f.dialog) by_dialog_.erase(*f.dialog);
  }
  call.forks.clear();
  set_timer(call, Timer::kRing, std::nullopt);
  drop_callee_media(call);
  (void)media_.stop_playback(call.caller_media);
  emit(call, "call.transfer_failed", {{"by", t.by}, {"target", t.target}, {"status", status}});
  if (!t.referrer) {
    // The referrer has left: nobody to go back to.
    if (t.referrer_media != 0) {
      by_endpoint_.erase(t.referrer_media);
      (void)media_.destroy(t.referrer_media);
    }
    return end(call, cause, status);
  }
  notify_refer(*t.referrer, status >= 300 ? status : 500, true);
  // Back to the referrer, who may try again.
  call.outbound = t.referrer;
  call.callee_media = t.referrer_media;
  call.callee_number = t.referrer_number;
  if (auto st = media_.bridge(call.caller_media, call.callee_media); !st) {
    return end(call, EndCause::kFailed);
  }
  call.connected = true;
}

void B2bua::transfer_succeeded(Call& call) {
  Transfer t = std::move(*call.transfer);
  call.transfer.reset();
  if (t.referrer) {
    notify_refer(*t.referrer, 200, true);
    by_dialog_.erase(*t.referrer);
    (void)dialogs_->bye(*t.referrer);
  }
  if (t.referrer_media != 0) {
    by_endpoint_.erase(t.referrer_media);
    (void)media_.destroy(t.referrer_media);
  }
  emit(call, "call.transferred",
       {{"kind", "blind"}, {"by", t.by}, {"target", t.target}, {"to", call.callee_number}});
  // An agent who transferred the call away is done with it (the ACD's conversation ends).
  if (call.queued && sink_ != nullptr) {
    call.queued = false;
    sink_->call_ended(call.id, EndCause::kTransferred, true);
  }
}

void B2bua::attended_transfer(Call& call, Call& other, sip::DialogId other_leg,
                              const sip::IncomingRequest& r) {
  // The referrer talks to X in `call` and to Y in `other`; X and Y are joined in
  // `call`, the referrer's two legs released, `other` ends "transferred".
  const std::string by = call.inbound == r.dialog ? "caller" : "callee";
  make_callee_side(call, *r.dialog);
  make_callee_side(other, other_leg);
  // Y, the caller side of `other`, moves into `call` as its callee side.
  const sip::DialogId referrer = *call.outbound;
  const media::EndpointId referrer_media = call.callee_media;
  if (!other.inbound) return respond(r.txn, 403, "");
  (void)media_.unbridge(call.caller_media);
  (void)media_.unbridge(other.caller_media);
  if (auto st = media_.bridge(call.caller_media, other.caller_media); !st) {
    // Legs on different media threads cannot be joined (see colocation_for).
    log::warn("switch", "attended transfer: cannot join the legs",
              {log::kv("call", call.id), log::kv("other", other.id),
               log::kv("error", st.error().message)});
    (void)media_.bridge(call.caller_media, call.callee_media);
    (void)media_.bridge(other.caller_media, other.callee_media);
    return respond(r.txn, 488, "Cannot join these calls");
  }
  respond(r.txn, 202, "");
  notify_refer(referrer, 100, false);
  (void)media_.stop_playback(call.caller_media);
  (void)media_.stop_playback(other.caller_media);
  if (other.recording == other.caller_media) {
    (void)media_.stop_recording(other.recording);
    other.recording = 0;
  }
  if (call.recording == referrer_media) {
    (void)media_.stop_recording(call.recording);
    call.recording = 0;
  }
  const sip::DialogId y = *other.inbound;
  call.outbound = y;
  call.callee_media = other.caller_media;
  call.callee_number = other.caller;
  call.caller_holds = call.callee_holds = false;
  by_dialog_[y] = call.id;
  by_endpoint_[call.callee_media] = call.id;
  index_extension(call, call.callee_number);
  other.inbound.reset();
  other.caller_media = 0;
  // The referrer's leg in `call` goes now; its leg in `other` with `other`.
  notify_refer(referrer, 200, true);
  by_dialog_.erase(referrer);
  (void)dialogs_->bye(referrer);
  by_endpoint_.erase(referrer_media);
  (void)media_.destroy(referrer_media);
  const CallId joined = other.id;
  emit(call, "call.transferred",
       {{"kind", "attended"}, {"by", by}, {"joined_call", joined}, {"to", call.callee_number}});
  if (call.queued && sink_ != nullptr) {
    call.queued = false;
    sink_->call_ended(call.id, EndCause::kTransferred, true);
  }
  end(other, EndCause::kTransferred);
  if (auto it = calls_.find(call.id); it != calls_.end()) on_bridged(it->second);
}

void B2bua::replace_leg(Call& call, sip::DialogId leg, const sip::IncomingRequest& r,
                        const std::string& extension) {
  if (r.request.body().empty()) return respond(r.txn, 488, "offer required");
  media::EndpointOptions options;
  options.colocate_with = call.inbound == leg ? call.callee_media : call.caller_media;
  auto answer = media_.create_answer(r.request.body(), options);
  if (!answer) return respond(r.txn, 488, "");
  sip::Reply ok;
  ok.contact = config_.contact;
  ok.content = sdp_content(answer->sdp);
  auto dialog = dialogs_->respond(r.txn, ok);
  if (!dialog || !*dialog) {
    (void)media_.destroy(answer->id);
    return;
  }
  const std::string by = call.inbound == leg ? "caller" : "callee";
  make_callee_side(call, leg);
  const media::EndpointId old_media = call.callee_media;
  if (call.recording == old_media) {
    (void)media_.stop_recording(old_media);
    call.recording = 0;
  }
  (void)media_.stop_playback(call.caller_media);
  call.outbound = **dialog;
  call.callee_media = answer->id;
  call.callee_number = extension;
  call.caller_holds = call.callee_holds = false;
  by_dialog_[**dialog] = call.id;
  by_endpoint_[answer->id] = call.id;
  index_extension(call, extension);
  by_dialog_.erase(leg);
  (void)dialogs_->bye(leg);
  by_endpoint_.erase(old_media);
  (void)media_.destroy(old_media);
  if (auto st = media_.bridge(call.caller_media, call.callee_media); !st) {
    return end(call, EndCause::kFailed);
  }
  emit(call, "call.transferred", {{"kind", "replaces"}, {"by", by}, {"to", extension}});
  on_bridged(call);
}

std::optional<media::EndpointId> B2bua::colocation_for(std::string_view extension) const {
  if (extension.empty()) return std::nullopt;
  auto [lo, hi] = by_extension_.equal_range(std::string(extension));
  for (auto it = lo; it != hi; ++it) {
    auto c = calls_.find(it->second);
    if (c == calls_.end()) continue;
    if (c->second.caller_media != 0) return c->second.caller_media;
    if (c->second.callee_media != 0) return c->second.callee_media;
  }
  return std::nullopt;
}

void B2bua::index_extension(const Call& call, const std::string& extension) {
  if (extension.empty()) return;
  auto [lo, hi] = by_extension_.equal_range(extension);
  for (auto it = lo; it != hi; ++it) {
    if (it->second == call.id) return;
  }
  by_extension_.emplace(extension, call.id);
}

// ---- Recording ---------------------------------------------------------------

std::optional<B2bua::CallMedia> B2bua::media_of(CallId id) const {
  auto it = calls_.find(id);
  if (it == calls_.end()) return std::nullopt;
  return CallMedia{it->second.caller_media, it->second.callee_media};
}

void B2bua::on_bridged(Call& call) {
  maybe_record(call);
}

void B2bua::maybe_record(Call& call) {
  if (call.recording != 0 || call.caller_media == 0) return;
  const RecordingMode mode = config_.recording.for_call(call.queue, call.callee_number);
  if (mode == RecordingMode::kOff) return;
  const auto secs = std::chrono::floor<std::chrono::seconds>(clock_.now());
  const std::string file =
      fmt::format("{:%Y%m%d-%H%M%S}-call{}-{}.wav", secs, call.id, ++call.recordings);
  media::RecorderOptions options;
  options.path = config_.recording.dir / file;
  options.layout = mode == RecordingMode::kMixed ? media::RecordingLayout::kMixedMono
                                                 : media::RecordingLayout::kStereo;
  if (auto st = media_.start_recording(call.caller_media, options); !st) {
    log::warn("switch", "cannot record the call",
              {log::kv("call", call.id), log::kv("error", st.error().message)});
    return;
  }
  call.recording = call.caller_media;
  recordings_[call.caller_media] = Recording{call.id, options.path.string()};
  emit(call, "call.recording_started",
       {{"path", options.path.string()}, {"mode", to_string(mode)}});
}

void B2bua::on_recording_event(const media::MediaEvent& event) {
  auto it = recordings_.find(event.endpoint);
  if (it == recordings_.end()) return;
  const Recording rec = std::move(it->second);
  recordings_.erase(it);
  if (auto c = calls_.find(rec.call); c != calls_.end() && c->second.recording == event.endpoint) {
    c->second.recording = 0;
  }
  if (event.kind == media::MediaEvent::Kind::kRecordingFailed) {
    emit_event("call.recording_failed", rec.call, {{"path", rec.path}, {"error", event.error}});
    return;
  }
  const double rate = media_.mix_rate();
  emit_event("call.recording_stopped", rec.call,
             {{"path", rec.path},
              {"duration_s", static_cast<double>(event.recording.frames_written) / rate},
              {"paused_s", static_cast<double>(event.recording.frames_paused) / rate},
              {"frames_dropped", event.recording.frames_dropped}});
}

Status B2bua::pause_recording(CallId id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return fail(ErrorCode::kNotFound, "no such call");
  if (it->second.recording == 0) {
    return fail(ErrorCode::kFailedPrecondition, "the call is not being recorded");
  }
  if (auto st = media_.pause_recording(it->second.recording); !st) return st;
  emit(it->second, "call.recording_paused", {});
  return {};
}

Status B2bua::resume_recording(CallId id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return fail(ErrorCode::kNotFound, "no such call");
  if (it->second.recording == 0) {
    return fail(ErrorCode::kFailedPrecondition, "the call is not being recorded");
  }
  if (auto st = media_.resume_recording(it->second.recording); !st) return st;
  emit(it->second, "call.recording_resumed", {});
  return {};
}

// ---- Dialog and media events ----------------------------------------------

void B2bua::on_ack(sip::DialogId, const sip::Message&) {}

void B2bua::on_cancelled(sip::TransactionId invite, std::optional<sip::DialogId>) {
  Call* call = by_txn(invite);
  if (call == nullptr || call->inbound_txn != invite) return;
  call->inbound_txn = 0;  // the layer answered it 487
  end(*call, EndCause::kCallerCancelled);
}

void B2bua::on_glare_retry(sip::DialogId, std::string_view) {}

void B2bua::on_transport_error(sip::TransactionId txn, std::optional<sip::DialogId>) {
  Fork* fork = nullptr;
  Call* call = by_txn(txn, &fork);
  if (call == nullptr || fork == nullptr) return;
  if (call->queued && !call->connected) {
    fork->finished = true;  // the ACD's ring timeout moves the call on
    fork->status = 503;
    return;
  }
  if (call->answered && !call->transfer) return;
  fork->finished = true;
  fork->status = 503;
  if (std::all_of(call->forks.begin(), call->forks.end(),
                  [](const Fork& f) { return f.finished; })) {
    ring_failed(*call, EndCause::kUnavailable, 480);
  }
}

void B2bua::on_terminated(sip::DialogId dialog, sip::TerminationReason reason,
                          const sip::Message*) {
  Call* call = by_dialog(dialog);
  by_dialog_.erase(dialog);
  if (call == nullptr) return;
  if (call->transfer && call->transfer->referrer == dialog) {
    // The referrer hung up while the target rings: the transfer goes on.
    call->transfer->referrer.reset();
    if (call->transfer->referrer_media != 0) {
      by_endpoint_.erase(call->transfer->referrer_media);
      (void)media_.destroy(call->transfer->referrer_media);
      call->transfer->referrer_media = 0;
    }
    return;
  }
  const bool remote_end =
      reason == sip::TerminationReason::kRemoteBye || reason == sip::TerminationReason::kGone ||
      reason == sip::TerminationReason::kTransportError || reason == sip::TerminationReason::kNoAck;
  if (call->inbound == dialog) {
    call->inbound.reset();
    if (remote_end)
      end(*call, reason == sip::TerminationReason::kRemoteBye ? EndCause::kCallerHangup
                                                              : EndCause::kFailed);
  } else if (call->outbound == dialog) {
    call->outbound.reset();
    if (remote_end)
      end(*call, reason == sip::TerminationReason::kRemoteBye ? EndCause::kCalleeHangup
                                                              : EndCause::kFailed);
  }
  // An early dialog of a fork that did not win: nothing to do.
}

void B2bua::on_media_event(const media::MediaEvent& event) {
  if (event.kind == media::MediaEvent::Kind::kRecordingStopped ||
      event.kind == media::MediaEvent::Kind::kRecordingFailed) {
    return on_recording_event(event);  // the call may be gone already
  }
  auto it = by_endpoint_.find(event.endpoint);
  if (it == by_endpoint_.end()) return;
  auto c = calls_.find(it->second);
  if (c == calls_.end()) return;
  Call& call = c->second;
  switch (event.kind) {
    case media::MediaEvent::Kind::kRtpTimeout: return end(call, EndCause::kMediaTimeout);
    case media::MediaEvent::Kind::kDtmf: {
      const bool caller = event.endpoint == call.caller_media;
      emit(call, "call.dtmf",
           {{"digit", std::string(1, event.digit.digit)},
            {"duration_ms", event.digit.duration_ms},
            {"leg", caller                                ? "caller"
                    : event.endpoint == call.callee_media ? "callee"
                                                          : "referrer"}});
      if (call.ivr && caller && !call.connected) {
        ivr_event(call, cc::ivr::DigitReceived{event.digit.digit});
      }
      return;
    }
    case media::MediaEvent::Kind::kPlaybackFinished:
      // Music on hold plays again until the holder resumes.
      if (call.connected && ((event.endpoint == call.caller_media && call.callee_holds) ||
                             (event.endpoint == call.callee_media && call.caller_holds))) {
        return start_music(call, event.endpoint);
      }
      if (event.endpoint != call.caller_media) return;
      if (call.feature) return end(call, EndCause::kFeatureDone);
      if (call.queued) {
        // The music (or an announcement) ended: the music starts (again).
        call.announcing = false;
        call.prompt = 0;
        if (!call.connected && call.music) play_to_caller(call, *call.music);
        return;
      }
      if (call.ivr && call.prompt != 0 && event.endpoint == call.caller_media) {
        const cc::ivr::PromptId prompt = call.prompt;
        call.prompt = 0;
        ivr_event(call, cc::ivr::PromptFinished{prompt, false});
      }
      return;
    default: return;
  }
}

void B2bua::set_timer(Call& call, Timer t, std::optional<MonoTime> at) {
  std::optional<MonoTime>& slot = call.timers[static_cast<std::size_t>(t)];
  if (slot == at) return;
  if (slot) deadlines_.erase({*slot, call.id, t});
  slot = at;
  if (at) deadlines_.insert({*at, call.id, t});
}

std::optional<MonoTime> B2bua::next_deadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return std::get<0>(*deadlines_.begin());
}

void B2bua::on_timer(MonoTime now) {
  // The calls with a timer due, each once, in call order.
  std::vector<CallId> due;
  for (auto it = deadlines_.begin(); it != deadlines_.end() && std::get<0>(*it) <= now; ++it) {
    due.push_back(std::get<1>(*it));
  }
  std::sort(due.begin(), due.end());
  due.erase(std::unique(due.begin(), due.end()), due.end());
  auto is_due = [now](const std::optional<MonoTime>& t) { return t && *t <= now; };
  for (CallId id : due) {
    auto it = calls_.find(id);
    if (it == calls_.end()) continue;
    Call& call = it->second;
    if (is_due(timer(call, Timer::kHangup))) {
      end(call, EndCause::kFeatureDone);
    } else if (is_due(timer(call, Timer::kMax))) {
      end(call, call.answered ? EndCause::kMaxDuration : EndCause::kNoAnswer, 480);
    } else if (is_due(timer(call, Timer::kRing))) {
      set_timer(call, Timer::kRing, std::nullopt);
      ring_failed(call, EndCause::kNoAnswer, 480);
    } else if (is_due(timer(call, Timer::kIvr))) {
      set_timer(call, Timer::kIvr, std::nullopt);
      ivr_event(call, cc::ivr::TimerFired{call.ivr_timer});
    }
  }
}

void B2bua::hang_up_all() {
  std::vector<CallId> ids;
  for (const auto& [id, call] : calls_) ids.push_back(id);
  for (CallId id : ids) {
    auto it = calls_.find(id);
    if (it != calls_.end()) end(it->second, EndCause::kShutdown, 503);
  }
}

void B2bua::end(Call& call, EndCause cause, int caller_status) {
  const CallId id = call.id;
  // The caller: an INVITE still unanswered gets its final response; an answered
  // one a BYE (unless it hung up itself).
  if (!call.answered && call.inbound_txn != 0) {
    respond(call.inbound_txn, caller_status != 0 ? caller_status : 480, "");
  }
  if (call.inbound && cause != EndCause::kCallerHangup) (void)dialogs_->bye(*call.inbound);
  for (Fork& fork : call.forks) {
    by_txn_.erase(fork.txn);
    if (!fork.finished) (void)dialogs_->cancel(fork.txn);
    // (A dialog an attended transfer moved to another call stays that call's.)
    if (auto d = fork.dialog ? by_dialog_.find(*fork.dialog) : by_dialog_.end();
        d != by_dialog_.end() && d->second == id) {
      by_dialog_.erase(d);
    }
  }
  if (call.outbound && cause != EndCause::kCalleeHangup) (void)dialogs_->bye(*call.outbound);
  media::EndpointId referrer_media = 0;
  if (call.transfer) {
    if (call.transfer->referrer) {
      notify_refer(*call.transfer->referrer, 487, true);
      by_dialog_.erase(*call.transfer->referrer);
      (void)dialogs_->bye(*call.transfer->referrer);
    }
    referrer_media = call.transfer->referrer_media;
  }
  for (media::EndpointId ep : {call.caller_media, call.callee_media, referrer_media}) {
    if (ep == 0) continue;
    by_endpoint_.erase(ep);
    (void)media_.destroy(ep);
  }
  const MonoTime now = clock_.mono();
  nlohmann::json payload{{"cause", to_string(cause)},
                         {"duration_s", seconds_between(call.started, now)},
                         {"answered", call.answered}};
  if (caller_status != 0 && !call.answered) payload["status"] = caller_status;
  if (call.answered) payload["talk_s"] = seconds_between(call.answered_at, now);
  if (!call.source.empty()) payload["source"] = call.source;
  emit(call, "call.ended", std::move(payload));
  by_txn_.erase(call.inbound_txn);
  if (call.inbound) by_dialog_.erase(*call.inbound);
  if (call.outbound) by_dialog_.erase(*call.outbound);
  const bool queued = call.queued;
  const bool connected = call.connected;
  for (std::size_t t = 0; t < kTimers; ++t) set_timer(call, static_cast<Timer>(t), std::nullopt);
  for (const std::string* ext : {&call.caller, &call.callee_number}) {
    auto [lo, hi] = by_extension_.equal_range(*ext);
    for (auto e = lo; e != hi;) e = e->second == id ? by_extension_.erase(e) : std::next(e);
  }
  calls_.erase(id);
  if (queued && sink_ != nullptr) sink_->call_ended(id, cause, connected);
}

}  // namespace hotline::sw
