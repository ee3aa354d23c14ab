// Reading a whole text file (configuration, scenarios, CSV imports) with a size cap,
// so a wrong path to a huge file is an error, not an out-of-memory. Blocking I/O:
// for the command line, start-up, or a worker thread.
//
// Thread-safety: a plain function.
#pragma once

#include <cstddef>
#include <string>

#include "common/error.hpp"

namespace hotline {

inline constexpr std::size_t kMaxTextFileBytes = std::size_t{256} << 20;

// kIo when the file cannot be opened or read ("path: No such file or directory"),
// kInvalidArgument when it is larger than `max_bytes`.
Result<std::string> read_text_file(const std::string& path,
                                   std::size_t max_bytes = kMaxTextFileBytes);

}  // namespace hotline
