// The process logger: one structured line per event, in logfmt
// (`ts=… level=info component=store msg="…" key=value`) or JSON lines.
// The logger is the one global the design allows (DESIGN.md, conventions).
//
// Thread-safety: every function here may be called from any thread.
#pragma once

#include <fmt/format.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace hotline::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError };
enum class Format { kText, kJson };

std::optional<Level> parse_level(std::string_view s);
std::string_view to_string(Level l);
std::optional<Format> parse_format(std::string_view s);

// Sets level and format; safe to call again (SIGHUP reload).
void init(Level level, Format format);
void set_level(Level level);
Level level();
bool enabled(Level l);

struct Field {
  std::string_view key;
  std::string value;
};

template <typename T>
Field kv(std::string_view key, const T& value) {
  return Field{key, fmt::format("{}", value)};
}

// Formats one line (exposed for tests); `ts` is RFC 3339.
std::string format_line(Format format, std::string_view ts, Level l, std::string_view component,
                        std::string_view message, std::initializer_list<Field> fields);

void write(Level l, std::string_view component, std::string_view message,
           std::initializer_list<Field> fields = {});

inline void trace(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) {
  if (enabled(Level::kTrace)) write(Level::kTrace, c, m, f);
}
inline void debug(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) {
  if (enabled(Level::kDebug)) write(Level::kDebug, c, m, f);
}
inline void info(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) {
  if (enabled(Level::kInfo)) write(Level::kInfo, c, m, f);
}
inline void warn(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) {
  if (enabled(Level::kWarn)) write(Level::kWarn, c, m, f);
}
inline void error(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::kError, c, m, f);
}

}  // namespace hotline::log
