#include "common/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>

#include "common/clock.hpp"

namespace hotline::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};
std::atomic<Format> g_format{Format::kText};

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto l = std::make_shared<spdlog::logger>("hotline", sink);
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return *instance;
}

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20)
      return true;
  }
  return false;
}

void append_escaped(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
}

void append_text_value(std::string& out, std::string_view v) {
  if (needs_quotes(v)) {
    out += '"';
    append_escaped(out, v);
    out += '"';
  } else {
    out += v;
  }
}

void append_json_pair(std::string& out, std::string_view k, std::string_view v) {
  out += '"';
  append_escaped(out, k);
  out += "\":\"";
  append_escaped(out, v);
  out += '"';
}

}  // namespace

std::optional<Level> parse_level(std::string_view s) {
  if (s == "trace") return Level::kTrace;
  if (s == "debug") return Level::kDebug;
  if (s == "info") return Level::kInfo;
  if (s == "warn" || s == "warning") return Level::kWarn;
  if (s == "error") return Level::kError;
  return std::nullopt;
}

std::string_view to_string(Level l) {
  switch (l) {
    case Level::kTrace: return "trace";
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

std::optional<Format> parse_format(std::string_view s) {
  if (s == "text" || s == "logfmt") return Format::kText;
  if (s == "json") return Format::kJson;
  return std::nullopt;
}

void init(Level l, Format f) {
  g_level = l;
  g_format = f;
  (void)logger();
}

void set_level(Level l) {
  g_level = l;
}
Level level() {
  return g_level;
}
bool enabled(Level l) {
  return l >= g_level.load(std::memory_order_relaxed);
}

std::string format_line(Format format, std::string_view ts, Level l, std::string_view component,
                        std::string_view message, std::initializer_list<Field> fields) {
  std::string out;
  out.reserve(96 + message.size());
  if (format == Format::kJson) {
    out += '{';
    append_json_pair(out, "ts", ts);
    out += ',';
    append_json_pair(out, "level", to_string(l));
    out += ',';
    append_json_pair(out, "component", component);
    out += ',';
    append_json_pair(out, "msg", message);
    for (const auto& f : fields) {
      out += ',';
      append_json_pair(out, f.key, f.value);
    }
    out += '}';
    return out;
  }
  out += "ts=";
  out += ts;
  out += " level=";
  out += to_string(l);
  out += " component=";
  append_text_value(out, component);
  out += " msg=";
  append_text_value(out, message);
  for (const auto& f : fields) {
    out += ' ';
    out += f.key;
    out += '=';
    append_text_value(out, f.value);
  }
  return out;
}

void write(Level l, std::string_view component, std::string_view message,
           std::initializer_list<Field> fields) {
  if (!enabled(l)) return;
  const std::string ts = format_rfc3339(SystemClock().now());
  logger().log(spdlog::level::info, format_line(g_format, ts, l, component, message, fields));
}

}  // namespace hotline::log
