// The PostgreSQL back end of Database, over libpq: one connection (connect timeout
// 5 s unless the URL sets connect_timeout), server-side prepared statements, and a
// reconnect attempt when the connection was lost.
//
// Thread-safety: as Database (one thread at a time per connection).
#pragma once

#include <memory>
#include <string>

#include "store/database.hpp"

namespace hotline::store {

// `url` is a libpq URI: postgres[ql]://USER[:PASSWORD]@HOST[:PORT]/DB[?PARAM=VALUE...].
Result<std::unique_ptr<Database>> open_postgres(const std::string& url);

}  // namespace hotline::store
