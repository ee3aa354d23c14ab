// Versioned schema migrations, embedded into the binary at build time from
// src/store/migrations/NNNN_name.sql. The same files serve SQLite and PostgreSQL;
// the few dialect differences are tokens like {{SERIAL_PK}} replaced per back end.
// The table schema_migrations records each applied version (it is bookkeeping and
// the one table without a tenant_id).
//
// Thread-safety: free functions over a Database (one thread at a time per Database).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "store/database.hpp"

namespace hotline::store {

struct Migration {
  int version;
  std::string_view name;  // "init" for 0001_init.sql
  std::string_view sql;   // with dialect tokens
};

// Every migration this binary carries, ordered by version 1, 2, ... (checked at build).
std::span<const Migration> embedded_migrations();

// The highest schema version this binary knows.
int latest_schema_version();

// The migration's SQL for one back end. Fails on a {{TOKEN}} it does not know.
Result<std::string> render_migration(std::string_view sql, Dialect dialect);

// Highest applied version; 0 for an empty database.
Result<int> current_schema_version(Database& db);

// Applies every pending migration in `migrations` (ordered, versions 1..n), each in
// its own transaction together with its schema_migrations row, so a failure leaves
// the database at the last good version. Safe against a concurrent migrator. Refuses
// (kFailedPrecondition) a database whose schema is newer than `migrations` knows.
Status migrate(Database& db, std::span<const Migration> migrations);
inline Status migrate(Database& db) {
  return migrate(db, embedded_migrations());
}

}  // namespace hotline::store
