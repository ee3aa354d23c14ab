#include "cc/ivr/text_template.hpp"

#include <fmt/format.h>

namespace hotline::cc::ivr {

namespace {

bool name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool name_char(char c) {
  return name_start(c) || (c >= '0' && c <= '9');
}
bool unreserved(char c) {
  return name_char(c) || c == '-' || c == '.' || c == '~';
}

void append_encoded(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : value) {
    if (unreserved(c)) {
      out += c;
    } else {
      const auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    }
  }
}

}  // namespace

bool valid_variable_name(std::string_view name) {
  if (name.empty() || !name_start(name.front())) return false;
  for (const char c : name) {
    if (!name_char(c)) return false;
  }
  return true;
}

Result<std::vector<std::string>> template_variables(std::string_view tmpl) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while ((i = tmpl.find("${", i)) != std::string_view::npos) {
    const auto close = tmpl.find('}', i + 2);
    if (close == std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("'${{' at offset {} has no closing '}}'", i));
    }
    const std::string_view name = tmpl.substr(i + 2, close - i - 2);
    if (!valid_variable_name(name)) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("bad variable name '{}' (letters, digits and _; not starting with "
                              "a digit)",
                              name));
    }
    out.emplace_back(name);
    i = close + 1;
  }
  return out;
}

std::string render_template(std::string_view tmpl,
                            const std::function<std::string_view(std::string_view)>& lookup,
                            bool percent_encode) {
  std::string out;
  out.reserve(tmpl.size());
  std::size_t i = 0;
  while (i < tmpl.size()) {
    const auto open = tmpl.find("${", i);
    const auto close = open == std::string_view::npos ? open : tmpl.find('}', open + 2);
    if (close == std::string_view::npos) {
      out.append(tmpl.substr(i));
      break;
    }
    out.append(tmpl.substr(i, open - i));
    const std::string_view value = lookup(tmpl.substr(open + 2, close - open - 2));
    if (percent_encode) {
      append_encoded(out, value);
    } else {
      out.append(value);
    }
    i = close + 1;
  }
  return out;
}

}  // namespace hotline::cc::ivr
