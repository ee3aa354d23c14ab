#include "store/migrations.hpp"

#include <fmt/format.h>

#include "common/log.hpp"

namespace hotline::store {
namespace {

struct Token {
  std::string_view name;
  std::string_view sqlite;
  std::string_view postgres;
};

// The whole dialect difference the migrations may use. Keep it tiny: anything
// bigger belongs in portable SQL.
constexpr Token kTokens[] = {
    // An ever-increasing integer key; never reused even after deletes, so it is a
    // stable cursor.
    {"SERIAL_PK", "INTEGER PRIMARY KEY AUTOINCREMENT",
     "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"},
    {"BLOB", "BLOB", "BYTEA"},
    // Microseconds since the Unix epoch, UTC, as a BIGINT.
    {"NOW_MICROS", "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)",
     "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)"},
};

Status ensure_bookkeeping(Database& db) {
  return db.execute_script(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY,"
      " name TEXT NOT NULL,"
      " applied_at BIGINT NOT NULL)");
}

Status refuse_newer(int have, int knows) {
  return fail(ErrorCode::kFailedPrecondition,
              fmt::format("database schema version {} is newer than this hotline (knows up to "
                          "{}); upgrade hotline",
                          have, knows));
}

}  // namespace

int latest_schema_version() {
  auto all = embedded_migrations();
  return all.empty() ? 0 : all.back().version;
}

Result<std::string> render_migration(std::string_view sql, Dialect dialect) {
  std::string out;
  out.reserve(sql.size());
  std::size_t pos = 0;
  for (;;) {
    auto open = sql.find("{{", pos);
    if (open == std::string_view::npos) break;
    auto close = sql.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument, "unterminated {{ in migration SQL");
    }
    std::string_view name = sql.substr(open + 2, close - open - 2);
    const Token* token = nullptr;
    for (const auto& t : kTokens) {
      if (t.name == name) token = &t;
    }
    if (token == nullptr) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("unknown dialect token {{{{{}}}}} in migration SQL", name));
    }
    out.append(sql.substr(pos, open - pos));
    out.append(dialect == Dialect::kSqlite ? token->sqlite : token->postgres);
    pos = close + 2;
  }
  out.append(sql.substr(pos));
  return out;
}

Result<int> current_schema_version(Database& db) {
  auto exists = db.table_exists("schema_migrations");
  if (!exists) return std::unexpected(exists.error());
  if (!*exists) return 0;
  auto rows = db.query("SELECT MAX(version) FROM schema_migrations");
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty() || rows->is_null(0, 0)) return 0;
  auto v = rows->int64(0, 0);
  if (!v) return fail(ErrorCode::kCorruption, "schema_migrations.version is not an integer");
  return static_cast<int>(*v);
}

Status migrate(Database& db, std::span<const Migration> migrations) {
  const int knows = migrations.empty() ? 0 : migrations.back().version;
  auto before = current_schema_version(db);
  if (!before) return std::unexpected(before.error());
  if (*before > knows) return refuse_newer(*before, knows);
  if (*before == knows) return {};

  for (const Migration& m : migrations) {
    auto sql = render_migration(m.sql, db.dialect());
    if (!sql) {
      return fail(sql.error().code,
                  fmt::format("migration {} ({}): {}", m.version, m.name, sql.error().message));
    }
    auto tx = Transaction::begin(db);
    if (!tx) return std::unexpected(tx.error());
    if (auto s = db.lock_for_migration(); !s) return s;
    if (auto s = ensure_bookkeeping(db); !s) return s;
    // Read again under the lock: another process may have migrated meanwhile.
    auto now = current_schema_version(db);
    if (!now) return std::unexpected(now.error());
    if (*now > knows) return refuse_newer(*now, knows);
    if (*now >= m.version) continue;
    if (*now != m.version - 1) {
      return fail(ErrorCode::kCorruption,
                  fmt::format("database schema is at version {}, cannot apply migration {}", *now,
                              m.version));
    }
    if (auto s = db.execute_script(*sql); !s) {
      return fail(s.error().code, fmt::format("migration {} ({}) failed: {}", m.version, m.name,
                                              s.error().message));
    }
    auto recorded = db.execute(
        fmt::format("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, "
                    "{})",
                    *render_migration("{{NOW_MICROS}}", db.dialect())),
        {std::int64_t{m.version}, std::string(m.name)});
    if (!recorded) return std::unexpected(recorded.error());
    if (auto s = tx->commit(); !s) return s;
    log::info("store", "applied schema migration",
              {log::kv("version", m.version), log::kv("name", m.name),
               log::kv("database", db.description())});
  }
  return {};
}

}  // namespace hotline::store
