// The embedded SQLite back end of Database: one connection in WAL mode with
// synchronous=NORMAL (a commit survives a process crash; the last commits may be
// lost on power failure), a busy timeout, and foreign keys enforced.
//
// Thread-safety: as Database (one thread at a time per connection).
#pragma once

#include <memory>
#include <string_view>

#include "store/database.hpp"

namespace hotline::store {

// `path` is a file path (its parent directory is created) or ":memory:". A file
// that is not a SQLite database is refused without being written to.
Result<std::unique_ptr<Database>> open_sqlite(std::string_view path);

}  // namespace hotline::store
