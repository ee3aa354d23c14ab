#include "store/database.hpp"

#include <fmt/format.h>

#include <charconv>

#include "common/log.hpp"
#include "store/postgres_database.hpp"
#include "store/sqlite_database.hpp"

namespace hotline::store {

std::string_view to_string(Dialect d) {
  switch (d) {
    case Dialect::kSqlite: return "sqlite";
    case Dialect::kPostgres: return "postgres";
  }
  return "unknown";
}

Value text_or_null(std::string_view s) {
  if (s.empty()) return std::monostate{};
  return std::string(s);
}

Rows::Rows(std::size_t columns, std::vector<Value> cells)
    : columns_(columns), cells_(std::move(cells)) {}

const Value& Rows::at(std::size_t row, std::size_t column) const {
  return cells_[row * columns_ + column];
}

bool Rows::is_null(std::size_t row, std::size_t column) const {
  return std::holds_alternative<std::monostate>(at(row, column));
}

std::optional<std::int64_t> Rows::int64(std::size_t row, std::size_t column) const {
  const Value& v = at(row, column);
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* s = std::get_if<std::string>(&v)) {
    std::int64_t out = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
    if (ec == std::errc() && end == s->data() + s->size()) return out;
  }
  return std::nullopt;
}

std::string Rows::text(std::size_t row, std::size_t column) const {
  const Value& v = at(row, column);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return fmt::format("{}", *d);
  return {};
}

Result<Transaction> Transaction::begin(Database& db) {
  if (auto s = db.begin(); !s) return std::unexpected(s.error());
  return Transaction(db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(other.db_) {
  other.db_ = nullptr;
}

Transaction::~Transaction() {
  if (db_ == nullptr) return;
  if (auto s = db_->rollback(); !s) {
    log::warn("store", "rollback failed", {log::kv("error", s.error().describe())});
  }
}

Status Transaction::commit() {
  if (db_ == nullptr) return fail(ErrorCode::kFailedPrecondition, "transaction already ended");
  Database* db = std::exchange(db_, nullptr);
  if (auto s = db->commit(); !s) {
    // A failed COMMIT may leave the transaction open (PostgreSQL keeps it aborted);
    // end it so the connection is usable for the next attempt.
    (void)db->rollback();
    return s;
  }
  return {};
}

Result<std::unique_ptr<Database>> open_database(const std::string& url) {
  if (url.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "empty database URL; use sqlite:PATH or postgres://USER@HOST:PORT/DB");
  }
  std::string_view u = url;
  if (u.starts_with("postgres://") || u.starts_with("postgresql://")) return open_postgres(url);
  if (u.starts_with("sqlite:")) {
    std::string_view path = u.substr(7);
    if (path.starts_with("//")) path.remove_prefix(2);  // sqlite:///abs/path
    if (path.empty()) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("database URL '{}' has no path; use sqlite:PATH or "
                              "sqlite::memory:",
                              url));
    }
    return open_sqlite(path);
  }
  auto colon = u.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("database URL '{}' has no scheme; use sqlite:PATH or "
                            "postgres://USER@HOST:PORT/DB",
                            redact_url(url)));
  }
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("unsupported database URL scheme '{}' in '{}'; use sqlite:PATH or "
                          "postgres://USER@HOST:PORT/DB",
                          u.substr(0, colon), redact_url(url)));
}

std::string redact_url(std::string_view url) {
  std::string out(url);
  auto scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    auto auth_start = scheme_end + 3;
    auto at = out.find('@', auth_start);
    auto slash = out.find('/', auth_start);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      auto colon = out.find(':', auth_start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // A password may also come as a query parameter.
  for (auto pw = out.find("password="); pw != std::string::npos;
       pw = out.find("password=", pw + 1)) {
    if (pw == 0 || (out[pw - 1] != '?' && out[pw - 1] != '&')) continue;
    auto value = pw + 9;
    auto end = out.find('&', value);
    out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
  }
  return out;
}

}  // namespace hotline::store
