#include "sip/registrar.hpp"

#include <algorithm>
#include <optional>

#include "sip/serializer.hpp"

namespace hotline::sip {
namespace {

RegisterOutcome fail_with(int status, std::string reason) {
  RegisterOutcome o;
  o.status = status;
  o.reason = std::move(reason);
  return o;
}

std::int64_t seconds_of(Duration d) {
  return std::chrono::duration_cast<std::chrono::seconds>(d).count();
}

struct Planned {
  std::string contact;
  std::string instance_id;
  std::int64_t expires = 0;  // seconds; 0 removes
};

}  // namespace

std::string register_aor(const Message& request) {
  const Uri& to = request.to().uri;
  if (!to.is_sip() || to.user.empty()) return {};
  return to.user_unescaped();
}

RegisterOutcome Registrar::handle(const Message& request, const Peer& source,
                                  std::string_view user) {
  const std::string aor = register_aor(request);
  if (aor.empty()) return fail_with(404, "Not Found");
  if (aor != user) return fail_with(403, "Forbidden");

  const std::int64_t min_s = seconds_of(options_.min_expires);
  const std::int64_t max_s = seconds_of(options_.max_expires);
  const std::optional<std::uint32_t> header_expires = request.expires();
  const Timestamp now = clock_.now();

  std::string path;
  for (const HeaderField& h : request.headers()) {
    if (h.id == HeaderId::kUnknown && h.name.size() == 4 &&
        std::equal(h.name.begin(), h.name.end(), "path",
                   [](char a, char b) { return (a | 0x20) == b; })) {
      if (!path.empty()) path += ", ";
      path += unfold(h.value);
    }
  }

  RegisterOutcome out;
  const ContactList& contacts = request.contacts();
  if (contacts.star) {
    // §10.2.2: "*" only with Expires: 0 and nothing else.
    if (!header_expires || *header_expires != 0) {
      return fail_with(400, "Bad Request");
    }
    for (Binding& b : location_.remove_all(aor)) {
      if (b.expires_at > now) out.removed.push_back(std::move(b));
    }
  } else {
    std::vector<Planned> plan;
    for (const NameAddr& c : contacts.entries) {
      Planned p;
      p.contact = std::string(c.uri.text);
      if (auto inst = c.params.get("+sip.instance")) p.instance_id = unquote(*inst);
      std::int64_t e = seconds_of(options_.default_expires);
      if (auto v = c.params.get("expires")) {
        auto n = parse_number(*v, 0xFFFFFFFFu);
        if (!n) return fail_with(400, "Bad Request");
        e = static_cast<std::int64_t>(*n);
      } else if (header_expires) {
        e = *header_expires;
      }
      if (e != 0 && e < min_s) {
        RegisterOutcome o = fail_with(423, "Interval Too Brief");
        o.headers.emplace_back("Min-Expires", std::to_string(min_s));
        return o;
      }
      p.expires = std::min(e, max_s);
      // §10.3 step 7: an older or repeated CSeq of the same Call-ID is refused.
      if (const Binding* old = location_.find(aor, p.contact, p.instance_id)) {
        if (old->call_id == request.call_id() && old->cseq >= request.cseq().number) {
          return fail_with(500, "Server Internal Error");
        }
      }
      plan.push_back(std::move(p));
    }
    // The limit counts what would be bound afterwards.
    std::size_t added = 0;
    for (const Planned& p : plan) {
      if (p.expires > 0 && location_.find(aor, p.contact, p.instance_id) == nullptr) ++added;
    }
    if (added > 0 && location_.count(aor) + added > options_.max_contacts_per_aor) {
      return fail_with(403, "Too Many Contacts");
    }
    for (Planned& p : plan) {
      if (p.expires == 0) {
        if (auto gone = location_.remove(aor, p.contact)) {
          if (gone->expires_at > now) out.removed.push_back(std::move(*gone));
        }
        continue;
      }
      Binding b;
      b.aor = aor;
      b.contact = std::move(p.contact);
      b.instance_id = std::move(p.instance_id);
      b.path = path;
      b.call_id = std::string(request.call_id());
      b.cseq = request.cseq().number;
      b.expires_at = now + std::chrono::seconds(p.expires);
      b.source = source;
      if (auto ua = request.header(HeaderId::kUserAgent)) b.user_agent = unfold(*ua);
      b.updated_at = now;
      auto replaced = location_.upsert(b);
      if (!replaced) out.added.push_back(b.contact);
      if (replaced && replaced->contact != b.contact) out.removed.push_back(std::move(*replaced));
      out.upserted.push_back(std::move(b));
    }
  }

  // 200 lists every current binding with its remaining time (§10.3 step 8).
  for (const Binding& b : location_.lookup(aor)) {
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(b.expires_at - now).count();
    std::string value;
    value.reserve(b.contact.size() + 24);
    value.append("<").append(b.contact).append(">;expires=");
    value.append(std::to_string(std::max<std::int64_t>(left, 0)));
    if (!b.instance_id.empty())
      value.append(";+sip.instance=\"").append(b.instance_id).append("\"");
    out.headers.emplace_back("Contact", std::move(value));
  }
  if (!path.empty() && !contacts.star) out.headers.emplace_back("Path", path);
  return out;
}

}  // namespace hotline::sip
