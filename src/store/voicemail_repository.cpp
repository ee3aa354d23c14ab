#include "store/voicemail_repository.hpp"

#include <algorithm>

namespace hotline::store {
namespace {

constexpr std::string_view kColumns =
    "id, tenant_id, box, caller, call_id, created_at, duration_ms, file_path, heard";

VoicemailMessage read_row(const Rows& rows, std::size_t i) {
  VoicemailMessage m;
  m.id = rows.int64(i, 0).value_or(0);
  m.tenant_id = rows.text(i, 1);
  m.box = rows.text(i, 2);
  m.caller = rows.text(i, 3);
  m.call_id = rows.text(i, 4);
  m.created_at = from_micros(rows.int64(i, 5).value_or(0));
  m.duration_ms = rows.int64(i, 6).value_or(0);
  m.file_path = rows.text(i, 7);
  m.heard = rows.int64(i, 8).value_or(0) != 0;
  return m;
}

}  // namespace

Result<std::int64_t> VoicemailRepository::add(const VoicemailMessage& m) {
  auto rows = db_.query(
      "INSERT INTO voicemail_messages (tenant_id, box, caller, call_id, created_at, duration_ms, "
      "file_path, heard) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
      {m.tenant_id, m.box, m.caller, m.call_id, to_micros(m.created_at), m.duration_ms, m.file_path,
       std::int64_t{m.heard ? 1 : 0}});
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return fail(ErrorCode::kInternal, "INSERT returned no id");
  auto id = rows->int64(0, 0);
  if (!id) return fail(ErrorCode::kInternal, "INSERT returned a bad id");
  return *id;
}

Result<std::vector<VoicemailMessage>> VoicemailRepository::list(const VoicemailQuery& q) {
  std::string sql =
      "SELECT " + std::string(kColumns) + " FROM voicemail_messages WHERE tenant_id = $1";
  std::vector<Value> params{q.tenant_id};
  if (q.box) {
    params.emplace_back(*q.box);
    sql += " AND box = $" + std::to_string(params.size());
  }
  if (q.heard) {
    params.emplace_back(std::int64_t{*q.heard ? 1 : 0});
    sql += " AND heard = $" + std::to_string(params.size());
  }
  params.emplace_back(static_cast<std::int64_t>(std::min(q.limit, kMaxVoicemailQueryLimit)));
  sql += " ORDER BY created_at DESC, id DESC LIMIT $" + std::to_string(params.size());
  auto rows = db_.query(sql, params);
  if (!rows) return std::unexpected(rows.error());
  std::vector<VoicemailMessage> out;
  out.reserve(rows->size());
  for (std::size_t i = 0; i < rows->size(); ++i) out.push_back(read_row(*rows, i));
  return out;
}

Result<VoicemailMessage> VoicemailRepository::get(std::string_view tenant, std::int64_t id) {
  auto rows = db_.query("SELECT " + std::string(kColumns) +
                            " FROM voicemail_messages WHERE tenant_id = $1 AND id = $2",
                        {std::string(tenant), id});
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty())
    return fail(ErrorCode::kNotFound, "no voicemail message " + std::to_string(id));
  return read_row(*rows, 0);
}

Status VoicemailRepository::mark_heard(std::string_view tenant, std::int64_t id, bool heard) {
  auto n = db_.execute("UPDATE voicemail_messages SET heard = $3 WHERE tenant_id = $1 AND id = $2",
                       {std::string(tenant), id, std::int64_t{heard ? 1 : 0}});
  if (!n) return std::unexpected(n.error());
  if (*n == 0) return fail(ErrorCode::kNotFound, "no voicemail message " + std::to_string(id));
  return {};
}

Status VoicemailRepository::remove(std::string_view tenant, std::int64_t id) {
  auto n = db_.execute("DELETE FROM voicemail_messages WHERE tenant_id = $1 AND id = $2",
                       {std::string(tenant), id});
  if (!n) return std::unexpected(n.error());
  if (*n == 0) return fail(ErrorCode::kNotFound, "no voicemail message " + std::to_string(id));
  return {};
}

}  // namespace hotline::store
