#include "store/sqlite_database.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <charconv>
#include <cstring>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/log.hpp"

namespace hotline::store {
namespace {

// Statements are cached by SQL text; past this many (a bug, or ad-hoc SQL) the cache
// starts over rather than growing without bound.
constexpr std::size_t kMaxCachedStatements = 256;
constexpr int kBusyTimeoutMs = 5000;

ErrorCode map_error(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ErrorCode::kUnavailable;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG: return ErrorCode::kInvalidArgument;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT: return ErrorCode::kCorruption;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM: return ErrorCode::kIo;
    case SQLITE_NOMEM: return ErrorCode::kResourceExhausted;
    default: return ErrorCode::kInternal;
  }
}

std::string_view sql_excerpt(std::string_view sql) {
  constexpr std::size_t kMax = 80;
  return sql.size() <= kMax ? sql : sql.substr(0, kMax);
}

struct Statement {
  sqlite3_stmt* stmt = nullptr;
  // param_index[i] is the 0-based Value bound to SQLite parameter i + 1 ("$N" -> N-1).
  std::vector<std::size_t> param_index;
  std::size_t param_count = 0;  // highest N used
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(sqlite3* db, std::string description)
      : db_(db), description_(std::move(description)) {}
  ~SqliteDatabase() override {
    clear_cache();
    sqlite3_close_v2(db_);
  }
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  Dialect dialect() const override { return Dialect::kSqlite; }
  const std::string& description() const override { return description_; }

  Status execute_script(std::string_view sql) override {
    std::string text(sql);  // sqlite3_exec needs a terminated string
    char* message = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
      std::string m = message != nullptr ? message : sqlite3_errstr(rc);
      sqlite3_free(message);
      return fail(map_error(rc), fmt::format("SQLite {}: {}", description_, m));
    }
    return {};
  }

  Status begin() override { return run_simple("BEGIN IMMEDIATE"); }
  Status commit() override { return run_simple("COMMIT"); }
  Status rollback() override {
    if (sqlite3_get_autocommit(db_) != 0) return {};  // nothing open (e.g. auto-rolled back)
    return run_simple("ROLLBACK");
  }

  Result<bool> table_exists(std::string_view table) override {
    auto rows = query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1",
                      {std::string(table)});
    if (!rows) return std::unexpected(rows.error());
    return !rows->empty();
  }

  Status lock_for_migration() override { return {}; }  // BEGIN IMMEDIATE holds the write lock

 protected:
  Result<std::int64_t> do_execute(std::string_view sql, std::span<const Value> params) override {
    auto st = run(sql, params, nullptr);
    if (!st) return std::unexpected(st.error());
    return sqlite3_changes64(db_);
  }

  Result<Rows> do_query(std::string_view sql, std::span<const Value> params) override {
    Rows rows;
    auto st = run(sql, params, &rows);
    if (!st) return std::unexpected(st.error());
    return rows;
  }

 private:
  Status run_simple(std::string_view sql) {
    auto r = do_execute(sql, {});
    if (!r) return std::unexpected(r.error());
    return {};
  }

  Error error_for(int rc, std::string_view sql) const {
    return Error(map_error(rc), fmt::format("SQLite {}: {} (in: {})", description_,
                                            sqlite3_errmsg(db_), sql_excerpt(sql)));
  }

  Result<Statement*> prepare(std::string_view sql) {
    if (auto it = cache_.find(sql); it != cache_.end()) return &it->second;
    if (cache_.size() >= kMaxCachedStatements) clear_cache();

    Statement s;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &s.stmt, &tail);
    if (rc != SQLITE_OK) return std::unexpected(error_for(rc, sql));
    if (s.stmt == nullptr) {
      return fail(ErrorCode::kInvalidArgument, "empty SQL statement");
    }
    std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
    if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
      sqlite3_finalize(s.stmt);
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("one statement at a time (in: {})", sql_excerpt(sql)));
    }
    int n = sqlite3_bind_parameter_count(s.stmt);
    for (int i = 1; i <= n; ++i) {
      const char* name = sqlite3_bind_parameter_name(s.stmt, i);
      std::string_view nm = name != nullptr ? name : "";
      std::size_t number = 0;
      bool ok = nm.size() > 1 && nm[0] == '$';
      if (ok) {
        auto [end, ec] = std::from_chars(nm.data() + 1, nm.data() + nm.size(), number);
        ok = ec == std::errc() && end == nm.data() + nm.size() && number >= 1;
      }
      if (!ok) {
        sqlite3_finalize(s.stmt);
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("use $1, $2, ... placeholders, not '{}' (in: {})",
                                nm.empty() ? "?" : nm, sql_excerpt(sql)));
      }
      s.param_index.push_back(number - 1);
      s.param_count = std::max(s.param_count, number);
    }
    auto [it, inserted] = cache_.emplace(std::string(sql), std::move(s));
    return &it->second;
  }

  Status bind(const Statement& s, std::span<const Value> params, std::string_view sql) {
    if (params.size() != s.param_count) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("statement takes {} parameters, {} given (in: {})", s.param_count,
                              params.size(), sql_excerpt(sql)));
    }
    for (std::size_t i = 0; i < s.param_index.size(); ++i) {
      const Value& v = params[s.param_index[i]];
      int pos = static_cast<int>(i + 1);
      int rc = SQLITE_OK;
      if (const auto* n = std::get_if<std::int64_t>(&v)) {
        rc = sqlite3_bind_int64(s.stmt, pos, *n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(s.stmt, pos, *d);
      } else if (const auto* t = std::get_if<std::string>(&v)) {
        // SQLITE_STATIC: params outlive the statement's use (cleared before return).
        rc = sqlite3_bind_text64(s.stmt, pos, t->data(), t->size(), SQLITE_STATIC, SQLITE_UTF8);
      } else {
        rc = sqlite3_bind_null(s.stmt, pos);
      }
      if (rc != SQLITE_OK) return std::unexpected(error_for(rc, sql));
    }
    return {};
  }

  Status run(std::string_view sql, std::span<const Value> params, Rows* out) {
    auto prepared = prepare(sql);
    if (!prepared) return std::unexpected(prepared.error());
    Statement& s = **prepared;
    struct Reset {
      sqlite3_stmt* stmt;
      ~Reset() {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
      }
    } reset{s.stmt};
    if (auto b = bind(s, params, sql); !b) return b;

    const int columns = sqlite3_column_count(s.stmt);
    std::vector<Value> cells;
    for (;;) {
      int rc = sqlite3_step(s.stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return std::unexpected(error_for(rc, sql));
      if (out == nullptr) continue;
      for (int c = 0; c < columns; ++c) {
        switch (sqlite3_column_type(s.stmt, c)) {
          case SQLITE_INTEGER: cells.emplace_back(sqlite3_column_int64(s.stmt, c)); break;
          case SQLITE_FLOAT: cells.emplace_back(sqlite3_column_double(s.stmt, c)); break;
          case SQLITE_NULL: cells.emplace_back(std::monostate{}); break;
          default: {
            const auto* p = sqlite3_column_blob(s.stmt, c);
            auto n = static_cast<std::size_t>(sqlite3_column_bytes(s.stmt, c));
            cells.emplace_back(std::string(static_cast<const char*>(p), n));
          }
        }
      }
    }
    if (out != nullptr) *out = Rows(static_cast<std::size_t>(columns), std::move(cells));
    return {};
  }

  void clear_cache() {
    for (auto& [sql, s] : cache_) sqlite3_finalize(s.stmt);
    cache_.clear();
  }

  sqlite3* db_;
  std::string description_;
  std::unordered_map<std::string, Statement, StringHash, std::equal_to<>> cache_;
};

Result<std::string> pragma_text(Database& db, std::string_view sql) {
  auto rows = db.query(sql);
  if (!rows) return std::unexpected(rows.error());
  return rows->empty() ? std::string() : rows->text(0, 0);
}

}  // namespace

Result<std::unique_ptr<Database>> open_sqlite(std::string_view path) {
  const bool memory = path == ":memory:";
  std::string file(path);
  if (!memory) {
    std::error_code ec;
    auto parent = std::filesystem::path(file).parent_path();
    if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
      std::filesystem::create_directories(parent, ec);
      if (ec) {
        return fail(ErrorCode::kIo,
                    fmt::format("cannot create directory '{}' for SQLite database '{}': {}",
                                parent.string(), file, ec.message()));
      }
    }
    if (std::filesystem::is_directory(file, ec)) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("SQLite database path '{}' is a directory", file));
    }
  }

  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(file.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string reason = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    int sys = raw != nullptr ? sqlite3_system_errno(raw) : 0;
    sqlite3_close_v2(raw);
    return fail(map_error(rc),
                fmt::format("cannot open SQLite database '{}': {}{}", file, reason,
                            sys != 0 ? fmt::format(" ({})", std::strerror(sys)) : std::string()));
  }
  auto db = std::make_unique<SqliteDatabase>(raw, memory ? ":memory:" : file);
  if (sqlite3_db_readonly(raw, "main") == 1) {
    return fail(ErrorCode::kIo, fmt::format("SQLite database '{}' is read-only; hotline needs to "
                                            "write it (check permissions)",
                                            file));
  }
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);

  // Read before anything writes: a file that is not a database fails here untouched.
  if (auto probe = db->query("SELECT count(*) FROM sqlite_master"); !probe) {
    if (probe.error().code == ErrorCode::kCorruption) {
      return fail(
          ErrorCode::kCorruption,
          fmt::format("'{}' is not a SQLite database (or is corrupt); refusing to use it", file));
    }
    return std::unexpected(probe.error());
  }
  if (!memory) {
    auto mode = pragma_text(*db, "PRAGMA journal_mode = WAL");
    if (!mode) return std::unexpected(mode.error());
    if (*mode != "wal") {
      log::warn("store", "SQLite database is not in WAL mode; writes will block readers",
                {log::kv("path", file), log::kv("journal_mode", *mode)});
    }
  }
  // cache_size: 64 MiB (allocated as used) keeps the event log's indexes in memory; the
  // default 2 MiB makes every batch re-read index pages from the OS. temp_store: the
  // statement journal of each multi-row INSERT would otherwise be a file in /var/tmp.
  for (std::string_view pragma : {"PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON",
                                  "PRAGMA cache_size = -65536", "PRAGMA temp_store = MEMORY"}) {
    if (auto s = db->execute_script(pragma); !s) return std::unexpected(s.error());
  }
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace hotline::store
