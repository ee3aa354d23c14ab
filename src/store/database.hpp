// A thin SQL layer over one database connection, shared by the SQLite and PostgreSQL
// back ends: parameterised statements with $1, $2, ... placeholders (prepared once
// per SQL text and cached), results as typed cells, transactions. Repositories (the
// event log today; registrar contacts, voicemail, call records later) are written
// once against this interface and run on both back ends.
//
// Thread-safety: a Database is one connection. REQUIRES: used from one thread at a
// time. Different Database objects may be used concurrently from different threads.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/error.hpp"

namespace hotline::store {

enum class Dialect { kSqlite, kPostgres };
std::string_view to_string(Dialect d);

// One parameter or result cell. monostate is SQL NULL.
using Value = std::variant<std::monostate, std::int64_t, double, std::string>;

// A NULL for empty strings: optional text columns (ids that may be absent).
Value text_or_null(std::string_view s);

// A fully read result set, row-major.
class Rows {
 public:
  Rows() = default;
  Rows(std::size_t columns, std::vector<Value> cells);

  std::size_t size() const { return columns_ == 0 ? 0 : cells_.size() / columns_; }
  bool empty() const { return size() == 0; }
  std::size_t columns() const { return columns_; }

  // REQUIRES: row < size(), column < columns().
  const Value& at(std::size_t row, std::size_t column) const;
  bool is_null(std::size_t row, std::size_t column) const;
  // nullopt for NULL or for text that is not a whole integer.
  std::optional<std::int64_t> int64(std::size_t row, std::size_t column) const;
  // NULL reads as "", numbers as their decimal form.
  std::string text(std::size_t row, std::size_t column) const;

 private:
  std::size_t columns_ = 0;
  std::vector<Value> cells_;
};

class Database {
 public:
  virtual ~Database() = default;

  virtual Dialect dialect() const = 0;
  // Where this connection points, safe to log (no password).
  virtual const std::string& description() const = 0;

  // Runs one or more ';'-separated statements without parameters (DDL, migrations).
  virtual Status execute_script(std::string_view sql) = 0;

  // Runs one statement; returns the number of rows changed.
  Result<std::int64_t> execute(std::string_view sql, std::span<const Value> params) {
    return do_execute(sql, params);
  }
  Result<std::int64_t> execute(std::string_view sql, std::initializer_list<Value> params = {}) {
    return do_execute(sql, std::span<const Value>(params.begin(), params.size()));
  }
  // Runs one statement and reads every row it returns.
  Result<Rows> query(std::string_view sql, std::span<const Value> params) {
    return do_query(sql, params);
  }
  Result<Rows> query(std::string_view sql, std::initializer_list<Value> params = {}) {
    return do_query(sql, std::span<const Value>(params.begin(), params.size()));
  }

  // A write transaction (SQLite: BEGIN IMMEDIATE, so it never fails half-way to
  // upgrade a read lock). Prefer the Transaction guard below.
  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual Status rollback() = 0;

  virtual Result<bool> table_exists(std::string_view table) = 0;
  // Inside a transaction: serialises schema migration with other processes until
  // the transaction ends (SQLite: the write lock already does; PostgreSQL: an
  // advisory transaction lock).
  virtual Status lock_for_migration() = 0;

 protected:
  virtual Result<std::int64_t> do_execute(std::string_view sql, std::span<const Value> params) = 0;
  virtual Result<Rows> do_query(std::string_view sql, std::span<const Value> params) = 0;
};

// Rolls back on destruction unless committed, so an early error return never leaves
// a transaction open.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  Status commit();

 private:
  explicit Transaction(Database& db) : db_(&db) {}
  Database* db_;  // null once committed, rolled back or moved from
};

// "sqlite:PATH", "sqlite::memory:", "postgres://..." / "postgresql://...".
// Opening never writes to an existing file that is not a SQLite database.
Result<std::unique_ptr<Database>> open_database(const std::string& url);

// The URL with any password replaced by "***", for messages and logs.
std::string redact_url(std::string_view url);

}  // namespace hotline::store
