#include "store/postgres_database.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <charconv>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/log.hpp"

namespace hotline::store {
namespace {

constexpr std::size_t kMaxCachedStatements = 256;
// Any constant shared by every hotline process: "hotline" in ASCII.
constexpr std::int64_t kMigrationLockKey = 0x686f746c696e65;

// Type OIDs from pg_type.h (stable across PostgreSQL versions).
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;

std::string_view sql_excerpt(std::string_view sql) {
  constexpr std::size_t kMax = 80;
  return sql.size() <= kMax ? sql : sql.substr(0, kMax);
}

// libpq messages end in a newline and may span lines; logs want one line.
std::string trimmed(const char* s) {
  std::string out = s != nullptr ? s : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  std::string flat;
  flat.reserve(out.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] != '\n') {
      flat += out[i];
      continue;
    }
    flat += "; ";
    while (i + 1 < out.size() && (out[i + 1] == '\t' || out[i + 1] == ' ')) ++i;
  }
  return flat;
}

ErrorCode map_sqlstate(std::string_view state) {
  if (state.size() < 2) return ErrorCode::kInternal;
  auto cls = state.substr(0, 2);
  if (cls == "08" || cls == "57" || cls == "40" || cls == "55") return ErrorCode::kUnavailable;
  if (cls == "23" || cls == "22") return ErrorCode::kInvalidArgument;
  if (cls == "53") return ErrorCode::kResourceExhausted;
  if (cls == "58") return ErrorCode::kIo;
  if (cls == "XX") return ErrorCode::kCorruption;
  return ErrorCode::kInternal;
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

void log_notice(void* /*arg*/, const char* message) {
  log::debug("store", "postgres notice", {log::kv("message", trimmed(message))});
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(PGconn* conn, std::string description)
      : conn_(conn), description_(std::move(description)) {
    PQsetNoticeProcessor(conn_, log_notice, nullptr);
  }
  ~PostgresDatabase() override { PQfinish(conn_); }
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;

  Dialect dialect() const override { return Dialect::kPostgres; }
  const std::string& description() const override { return description_; }

  Status execute_script(std::string_view sql) override {
    if (auto c = ensure_connected(); !c) return c;
    ResultPtr res(PQexec(conn_, std::string(sql).c_str()));
    return check(res.get(), sql);
  }

  Status begin() override { return execute_script("BEGIN"); }
  Status commit() override {
    if (auto c = ensure_connected(); !c) return c;
    ResultPtr res(PQexec(conn_, "COMMIT"));
    if (auto s = check(res.get(), "COMMIT"); !s) return s;
    // COMMIT of a transaction that already failed succeeds with the tag ROLLBACK.
    if (std::string_view(PQcmdStatus(res.get())) != "COMMIT") {
      return fail(ErrorCode::kFailedPrecondition,
                  fmt::format("PostgreSQL {}: transaction was rolled back", description_));
    }
    return {};
  }
  Status rollback() override {
    if (PQstatus(conn_) != CONNECTION_OK || PQtransactionStatus(conn_) == PQTRANS_IDLE) return {};
    return execute_script("ROLLBACK");
  }

  Result<bool> table_exists(std::string_view table) override {
    auto rows = query("SELECT to_regclass($1) IS NOT NULL", {std::string(table)});
    if (!rows) return std::unexpected(rows.error());
    return rows->int64(0, 0).value_or(0) != 0;
  }

  Status lock_for_migration() override {
    auto r = execute("SELECT pg_advisory_xact_lock($1)", {kMigrationLockKey});
    if (!r) return std::unexpected(r.error());
    return {};
  }

 protected:
  Result<std::int64_t> do_execute(std::string_view sql, std::span<const Value> params) override {
    auto res = run(sql, params);
    if (!res) return std::unexpected(res.error());
    std::string_view tuples = PQcmdTuples(res->get());
    std::int64_t n = 0;
    std::from_chars(tuples.data(), tuples.data() + tuples.size(), n);
    return n;
  }

  Result<Rows> do_query(std::string_view sql, std::span<const Value> params) override {
    auto res = run(sql, params);
    if (!res) return std::unexpected(res.error());
    PGresult* r = res->get();
    const int nrows = PQntuples(r);
    const int ncols = PQnfields(r);
    std::vector<Value> cells;
    cells.reserve(static_cast<std::size_t>(nrows) * static_cast<std::size_t>(ncols));
    for (int i = 0; i < nrows; ++i) {
      for (int c = 0; c < ncols; ++c) cells.push_back(cell(r, i, c));
    }
    return Rows(static_cast<std::size_t>(ncols), std::move(cells));
  }

 private:
  static Value cell(PGresult* r, int row, int col) {
    if (PQgetisnull(r, row, col) != 0) return std::monostate{};
    std::string_view text(PQgetvalue(r, row, col),
                          static_cast<std::size_t>(PQgetlength(r, row, col)));
    switch (PQftype(r, col)) {
      case kBoolOid: return std::int64_t{text == "t" ? 1 : 0};
      case kInt2Oid:
      case kInt4Oid:
      case kInt8Oid: {
        std::int64_t n = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (ec == std::errc() && end == text.data() + text.size()) return n;
        break;
      }
      case kFloat4Oid:
      case kFloat8Oid: {
        double d = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
        if (ec == std::errc() && end == text.data() + text.size()) return d;
        break;
      }
      default: break;
    }
    return std::string(text);
  }

  // A lost connection (server restart, network) is re-opened on the next call;
  // prepared statements died with it.
  Status ensure_connected() {
    if (PQstatus(conn_) == CONNECTION_OK) return {};
    PQreset(conn_);
    statements_.clear();
    if (PQstatus(conn_) != CONNECTION_OK) {
      return fail(ErrorCode::kUnavailable,
                  fmt::format("PostgreSQL {}: connection lost and reconnect failed: {}",
                              description_, trimmed(PQerrorMessage(conn_))));
    }
    log::info("store", "reconnected to PostgreSQL", {log::kv("database", description_)});
    return {};
  }

  Status check(PGresult* res, std::string_view sql) {
    ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return {};
    const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    ErrorCode code = PQstatus(conn_) != CONNECTION_OK ? ErrorCode::kUnavailable
                                                      : map_sqlstate(state != nullptr ? state : "");
    std::string message = res != nullptr ? trimmed(PQresultErrorMessage(res)) : "";
    if (message.empty()) message = trimmed(PQerrorMessage(conn_));
    return fail(code,
                fmt::format("PostgreSQL {}: {} (in: {})", description_, message, sql_excerpt(sql)));
  }

  Result<const std::string*> prepare(std::string_view sql) {
    if (auto it = statements_.find(sql); it != statements_.end()) return &it->second;
    if (statements_.size() >= kMaxCachedStatements) {
      if (auto s = execute_script("DEALLOCATE ALL"); !s) return std::unexpected(s.error());
      statements_.clear();
    }
    std::string name = fmt::format("hotline_{}", next_statement_++);
    ResultPtr res(PQprepare(conn_, name.c_str(), std::string(sql).c_str(), 0, nullptr));
    if (auto s = check(res.get(), sql); !s) return std::unexpected(s.error());
    auto [it, inserted] = statements_.emplace(std::string(sql), std::move(name));
    return &it->second;
  }

  Result<ResultPtr> run(std::string_view sql, std::span<const Value> params) {
    if (auto c = ensure_connected(); !c) return std::unexpected(c.error());
    auto name = prepare(sql);
    if (!name) return std::unexpected(name.error());

    // Text format for every parameter; the server converts to the column types.
    std::vector<std::string> numbers;
    numbers.reserve(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (const auto* t = std::get_if<std::string>(&v)) {
        values[i] = t->c_str();
      } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
        values[i] = numbers.emplace_back(std::to_string(*n)).c_str();
      } else if (const auto* d = std::get_if<double>(&v)) {
        values[i] = numbers.emplace_back(fmt::format("{}", *d)).c_str();
      }
    }
    ResultPtr res(PQexecPrepared(conn_, (*name)->c_str(), static_cast<int>(params.size()),
                                 values.data(), nullptr, nullptr, 0));
    if (auto s = check(res.get(), sql); !s) return std::unexpected(s.error());
    return res;
  }

  PGconn* conn_;
  std::string description_;
  std::unordered_map<std::string, std::string, StringHash, std::equal_to<>> statements_;
  std::uint64_t next_statement_ = 0;
};

}  // namespace

Result<std::unique_ptr<Database>> open_postgres(const std::string& url) {
  std::string description = redact_url(url);
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string reason = parse_error != nullptr ? trimmed(parse_error) : "out of memory";
    PQfreemem(parse_error);
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("invalid PostgreSQL URL '{}': {}", description, reason));
  }
  PQconninfoFree(parsed);
  // Earlier keywords are defaults; anything the URL sets (expanded from dbname) wins.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"5", "hotline", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  if (conn == nullptr) {
    return fail(ErrorCode::kResourceExhausted, "out of memory opening a PostgreSQL connection");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string reason = trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return fail(ErrorCode::kUnavailable,
                fmt::format("cannot connect to PostgreSQL at {}: {}", description, reason));
  }
  return std::unique_ptr<Database>(std::make_unique<PostgresDatabase>(conn, description));
}

}  // namespace hotline::store
