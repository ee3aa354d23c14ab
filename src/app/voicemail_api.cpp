#include "app/voicemail_api.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <optional>

namespace hotline::app {
namespace {

constexpr std::string_view kBase = "/api/v1/voicemail";
constexpr std::uintmax_t kMaxAudioBytes = 128ull * 1024 * 1024;

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return api::percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::optional<std::int64_t> parse_id(std::string_view text) {
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || p != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

api::Response storage_error(const Error& e) {
  if (e.code == ErrorCode::kNotFound) return api::json_error(404, "not_found", e.message);
  return api::json_error(500, "storage", e.message);
}

api::Response json(const nlohmann::json& body, int status = 200) {
  api::Response r;
  r.status = status;
  r.body = body.dump();
  return r;
}

}  // namespace

nlohmann::json to_json(const store::VoicemailMessage& m) {
  const auto ms = std::chrono::floor<std::chrono::milliseconds>(m.created_at);
  return {{"id", m.id},
          {"box", m.box},
          {"caller", m.caller},
          {"call_id", m.call_id},
          {"created_at", fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", ms)},
          {"duration_s", static_cast<double>(m.duration_ms) / 1000.0},
          {"heard", m.heard},
          {"audio", fmt::format("{}/{}/audio", kBase, m.id)}};
}

void add_voicemail_routes(api::Router& router, VoicemailStore& store, std::string tenant) {
  router.add("GET", std::string(kBase), [&store, tenant](const api::Request& req) {
    store::VoicemailQuery q;
    q.tenant_id = tenant;
    if (auto box = query_param(req.query, "box"); box && !box->empty()) q.box = *box;
    if (auto heard = query_param(req.query, "heard")) {
      if (*heard != "true" && *heard != "false")
        return api::json_error(400, "invalid_argument", "heard is true or false");
      q.heard = *heard == "true";
    }
    if (auto limit = query_param(req.query, "limit")) {
      auto n = parse_id(*limit);
      if (!n || *n > static_cast<std::int64_t>(store::kMaxVoicemailQueryLimit))
        return api::json_error(400, "invalid_argument",
                               fmt::format("limit is 1..{}", store::kMaxVoicemailQueryLimit));
      q.limit = static_cast<std::size_t>(*n);
    }
    auto rows = store.list(q);
    if (!rows) return storage_error(rows.error());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& m : *rows) out.push_back(to_json(m));
    return json({{"messages", std::move(out)}});
  });

  auto by_id = [&store, tenant](const api::Request& req) -> api::Response {
    std::string_view rest = std::string_view(req.path).substr(kBase.size() + 1);
    const bool audio = rest.ends_with("/audio");
    if (audio) rest.remove_suffix(6);
    auto id = parse_id(rest);
    if (!id) return api::json_error(404, "not_found", "no such voicemail message");
    if (req.method == "DELETE") {
      if (audio) return api::json_error(405, "method_not_allowed", "delete the message itself");
      auto m = store.get(tenant, *id);
      if (!m) return storage_error(m.error());
      if (auto st = store.remove(tenant, *id); !st) return storage_error(st.error());
      std::error_code ec;
      std::filesystem::remove(m->file_path, ec);
      api::Response r;
      r.status = 204;
      r.content_type.clear();
      return r;
    }
    auto m = store.get(tenant, *id);
    if (!m) return storage_error(m.error());
    if (!audio) return json(to_json(*m));
    std::error_code ec;
    const auto size = std::filesystem::file_size(m->file_path, ec);
    if (ec) return api::json_error(404, "not_found", "the message's audio file is missing");
    if (size > kMaxAudioBytes) return api::json_error(500, "too_large", "audio file too large");
    std::ifstream in(m->file_path, std::ios::binary);
    api::Response r;
    r.content_type = "audio/wav";
    r.body.resize(static_cast<std::size_t>(size));
    if (!in.read(r.body.data(), static_cast<std::streamsize>(size)))
      return api::json_error(500, "io", "cannot read the message's audio file");
    r.headers.emplace_back("Content-Disposition",
                           fmt::format("attachment; filename=\"voicemail-{}.wav\"", *id));
    (void)store.mark_heard(tenant, *id);
    return r;
  };
  router.add("GET", std::string(kBase) + "/*", by_id);
  router.add("DELETE", std::string(kBase) + "/*", by_id);
}

}  // namespace hotline::app
