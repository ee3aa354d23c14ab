#include "store/event_repository.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <string>

namespace hotline::store {
namespace {

constexpr std::size_t kColumns = 7;
// Rows per INSERT statement: big batches go in statements of 64 rows, the rest in
// 32, 16, ..., 1, so a batch of any size needs few round trips and at most seven
// distinct cached statements.
constexpr std::size_t kMaxRowsPerStatement = 64;

const std::string& insert_sql(std::size_t rows) {
  static const auto kSql = [] {
    std::vector<std::string> sql(kMaxRowsPerStatement + 1);
    for (std::size_t n = 1; n <= kMaxRowsPerStatement; n *= 2) {
      std::string s =
          "INSERT INTO events (tenant_id, ts, type, interaction_id, agent_id, queue_id, payload) "
          "VALUES ";
      for (std::size_t r = 0; r < n; ++r) {
        if (r > 0) s += ", ";
        s += '(';
        for (std::size_t c = 0; c < kColumns; ++c) {
          if (c > 0) s += ", ";
          s += fmt::format("${}", r * kColumns + c + 1);
        }
        s += ')';
      }
      sql[n] = std::move(s);
    }
    return sql;
  }();
  return kSql[rows];
}

void append_params(const Event& e, std::vector<Value>& out) {
  out.emplace_back(e.tenant_id);
  out.emplace_back(to_micros(e.ts));
  out.emplace_back(e.type);
  out.push_back(text_or_null(e.interaction_id));
  out.push_back(text_or_null(e.agent_id));
  out.push_back(text_or_null(e.queue_id));
  out.emplace_back(e.payload);
}

}  // namespace

Status validate_event(const Event& e) {
  if (e.tenant_id.empty()) return fail(ErrorCode::kInvalidArgument, "event without a tenant");
  if (e.type.empty()) return fail(ErrorCode::kInvalidArgument, "event without a type");
  if (!nlohmann::json::accept(e.payload)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("event '{}' payload is not valid JSON", e.type));
  }
  return {};
}

Status EventRepository::insert(std::span<const Event> events) {
  for (const Event& e : events) {
    if (auto s = validate_event(e); !s) return s;
  }
  std::vector<Value> params;
  params.reserve(kMaxRowsPerStatement * kColumns);
  std::size_t i = 0;
  std::size_t rows = kMaxRowsPerStatement;
  while (i < events.size()) {
    while (rows > events.size() - i) rows /= 2;
    params.clear();
    for (std::size_t r = 0; r < rows; ++r) append_params(events[i + r], params);
    auto n = db_.execute(insert_sql(rows), params);
    if (!n) return std::unexpected(n.error());
    i += rows;
  }
  return {};
}

Result<std::vector<StoredEvent>> EventRepository::query(const EventQuery& q) {
  if (q.tenant_id.empty()) {
    return fail(ErrorCode::kInvalidArgument, "event query without a tenant");
  }
  if (q.limit == 0 || q.limit > kMaxEventQueryLimit) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("event query limit must be 1..{}, not {}",
                                                         kMaxEventQueryLimit, q.limit));
  }
  std::string sql =
      "SELECT seq, tenant_id, ts, type, interaction_id, agent_id, queue_id, payload FROM events "
      "WHERE tenant_id = $1 AND seq > $2";
  std::vector<Value> params{q.tenant_id, q.after_seq};
  auto add = [&](std::string_view condition, Value v) {
    params.push_back(std::move(v));
    sql += fmt::format(" AND {} ${}", condition, params.size());
  };
  if (q.from) add("ts >=", to_micros(*q.from));
  if (q.to) add("ts <", to_micros(*q.to));
  if (q.type) add("type =", *q.type);
  if (q.interaction_id) add("interaction_id =", *q.interaction_id);
  if (q.agent_id) add("agent_id =", *q.agent_id);
  if (q.queue_id) add("queue_id =", *q.queue_id);
  params.emplace_back(static_cast<std::int64_t>(q.limit));
  sql += fmt::format(" ORDER BY seq LIMIT ${}", params.size());

  auto rows = db_.query(sql, params);
  if (!rows) return std::unexpected(rows.error());
  std::vector<StoredEvent> out;
  out.reserve(rows->size());
  for (std::size_t r = 0; r < rows->size(); ++r) {
    auto seq = rows->int64(r, 0);
    auto ts = rows->int64(r, 2);
    if (!seq || !ts) return fail(ErrorCode::kCorruption, "events row with a non-integer seq or ts");
    StoredEvent e;
    e.seq = *seq;
    e.event.tenant_id = rows->text(r, 1);
    e.event.ts = from_micros(*ts);
    e.event.type = rows->text(r, 3);
    e.event.interaction_id = rows->text(r, 4);
    e.event.agent_id = rows->text(r, 5);
    e.event.queue_id = rows->text(r, 6);
    e.event.payload = rows->text(r, 7);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace hotline::store
