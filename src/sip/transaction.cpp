#include "sip/transaction.hpp"

#include <cctype>

namespace hotline::sip {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string raw(const Message& m, HeaderId id) {
  const auto v = m.header(id);
  return v ? unfold(*v) : std::string();
}

void copy_routes(const Message& from, MessageBuilder& to) {
  for (const HeaderField& h : from.headers()) {
    if (h.id == HeaderId::kRoute) to.add_header("Route", unfold(h.value));
  }
}

}  // namespace

std::string_view to_string(TransactionKind k) {
  switch (k) {
    case TransactionKind::kInviteClient: return "invite-client";
    case TransactionKind::kNonInviteClient: return "non-invite-client";
    case TransactionKind::kInviteServer: return "invite-server";
    case TransactionKind::kNonInviteServer: return "non-invite-server";
  }
  return "?";
}

std::string_view to_string(TransactionState s) {
  switch (s) {
    case TransactionState::kCalling: return "Calling";
    case TransactionState::kTrying: return "Trying";
    case TransactionState::kProceeding: return "Proceeding";
    case TransactionState::kCompleted: return "Completed";
    case TransactionState::kConfirmed: return "Confirmed";
    case TransactionState::kAccepted: return "Accepted";
    case TransactionState::kTerminated: return "Terminated";
  }
  return "?";
}

std::string_view to_string(TimerName t) {
  static constexpr std::string_view kNames[kTimerCount] = {"A", "B", "D", "E", "F", "G",        "H",
                                                           "I", "J", "K", "L", "M", "Trying100"};
  return kNames[static_cast<std::size_t>(t)];
}

bool has_rfc3261_branch(const Via& via) {
  const auto branch = via.branch();
  return branch && branch->size() > kBranchCookie.size() && branch->starts_with(kBranchCookie);
}

std::optional<std::string> server_key(const Message& request, std::string_view method) {
  if (!request.is_request() || request.vias().empty()) return std::nullopt;
  const Via& top = request.vias().front();
  std::string key;
  if (has_rfc3261_branch(top)) {
    // Branch values compare case-sensitively; sent-by hosts do not (§17.2.3).
    key.append("B|").append(*top.branch()).append("|").append(lower(top.host));
    if (top.port) key.append(":").append(std::to_string(*top.port));
  } else {
    key.append("L|").append(request.request_uri().text).append("|");
    key.append(request.from().tag().value_or("")).append("|");
    key.append(request.call_id()).append("|").append(std::to_string(request.cseq().number));
    key.append("|").append(unfold(top.text));
  }
  key.append("|").append(method);
  return key;
}

std::optional<std::string> client_key(const Message& message) {
  if (message.vias().empty()) return std::nullopt;
  const auto branch = message.vias().front().branch();
  if (!branch || branch->empty()) return std::nullopt;
  std::string key("C|");
  key.append(*branch).append("|").append(message.cseq().method);
  return key;
}

namespace {

MessageBuilder response_for(const Message& request, const Peer* source, int status,
                            std::string reason, std::string_view to_tag) {
  MessageBuilder b = MessageBuilder::response(status, std::move(reason));
  const auto& vias = request.vias();
  for (std::size_t i = 0; i < vias.size(); ++i) {
    b.add_header("Via",
                 i == 0 && source != nullptr ? stamp_via(vias[i], *source) : unfold(vias[i].text));
  }
  b.add_header("From", raw(request, HeaderId::kFrom));
  std::string to = raw(request, HeaderId::kTo);
  if (!to_tag.empty() && !request.to().tag()) to.append(";tag=").append(to_tag);
  b.add_header("To", std::move(to));
  b.add_header("Call-ID", std::string(request.call_id()));
  b.add_header("CSeq", raw(request, HeaderId::kCSeq));
  return b;
}

}  // namespace

MessageBuilder make_response(const Message& request, const Peer& source, int status,
                             std::string reason, std::string_view to_tag) {
  return response_for(request, &source, status, std::move(reason), to_tag);
}

MessageBuilder make_local_response(const Message& request, int status, std::string reason) {
  return response_for(request, nullptr, status, std::move(reason), {});
}

MessageBuilder make_ack_for_error(const Message& invite, const Message& response) {
  MessageBuilder b = MessageBuilder::request("ACK", std::string(invite.request_uri().text));
  if (!invite.vias().empty()) b.add_header("Via", unfold(invite.vias().front().text));
  b.add_header("Max-Forwards", "70");
  copy_routes(invite, b);
  b.add_header("From", raw(invite, HeaderId::kFrom));
  b.add_header("To", raw(response, HeaderId::kTo));
  b.add_header("Call-ID", std::string(invite.call_id()));
  b.add_header("CSeq", std::to_string(invite.cseq().number) + " ACK");
  return b;
}

MessageBuilder make_cancel(const Message& request) {
  MessageBuilder b = MessageBuilder::request("CANCEL", std::string(request.request_uri().text));
  if (!request.vias().empty()) b.add_header("Via", unfold(request.vias().front().text));
  b.add_header("Max-Forwards", "70");
  copy_routes(request, b);
  b.add_header("From", raw(request, HeaderId::kFrom));
  b.add_header("To", raw(request, HeaderId::kTo));
  b.add_header("Call-ID", std::string(request.call_id()));
  b.add_header("CSeq", std::to_string(request.cseq().number) + " CANCEL");
  return b;
}

}  // namespace hotline::sip
