#include "switch/numbering.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace hotline::sw {
namespace {

constexpr std::size_t kMaxE164Digits = 15;

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_separator(char c) {
  return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}

Result<Number> e164(std::string digits) {
  if (digits.size() > kMaxE164Digits) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("'+{}' has {} digits; E.164 allows at most 15", digits, digits.size()));
  }
  if (digits.empty() || digits[0] == '0') {
    return fail(ErrorCode::kInvalidArgument, "a country code cannot start with 0");
  }
  return Number{NumberKind::kE164, "+" + digits};
}

}  // namespace

Status validate(const NumberingPlan& p) {
  if (!all_digits(p.country_code) || p.country_code.size() > 3 || p.country_code[0] == '0') {
    return fail(ErrorCode::kInvalidArgument,
                "country_code must be 1-3 digits, not starting with 0");
  }
  if (!p.international_prefix.empty() && !all_digits(p.international_prefix)) {
    return fail(ErrorCode::kInvalidArgument, "international_prefix must be digits");
  }
  if (!p.trunk_prefix.empty() && !all_digits(p.trunk_prefix)) {
    return fail(ErrorCode::kInvalidArgument, "trunk_prefix must be digits");
  }
  if (p.national_length < 0 || p.national_length > 14) {
    return fail(ErrorCode::kInvalidArgument, "national_length must be 0..14");
  }
  if (p.max_short_length < 1 || p.max_short_length > 10) {
    return fail(ErrorCode::kInvalidArgument, "max_short_length must be 1..10");
  }
  if (p.national_length != 0 && p.national_length <= p.max_short_length) {
    return fail(ErrorCode::kInvalidArgument, "national_length must exceed max_short_length");
  }
  return {};
}

Result<Number> normalize(std::string_view raw, const NumberingPlan& plan) {
  std::string s;
  s.reserve(raw.size());
  for (char c : raw) {
    if (is_separator(c)) continue;
    s.push_back(c);
  }
  if (s.empty()) return fail(ErrorCode::kInvalidArgument, "empty number");
  // Short numbers and feature codes: digits, '*' and '#', kept as dialled.
  const bool dialpad = std::all_of(
      s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '*' || c == '#'; });
  if (s[0] == '+') {
    if (!all_digits(std::string_view(s).substr(1))) {
      return fail(ErrorCode::kInvalidArgument, fmt::format("'{}' is not a number", raw));
    }
    return e164(s.substr(1));
  }
  if (!dialpad) return fail(ErrorCode::kInvalidArgument, fmt::format("'{}' is not a number", raw));
  if (!all_digits(s) || static_cast<int>(s.size()) <= plan.max_short_length) {
    return Number{NumberKind::kShort, s};
  }
  if (!plan.international_prefix.empty() && s.starts_with(plan.international_prefix)) {
    return e164(s.substr(plan.international_prefix.size()));
  }
  std::string national = s;
  if (!plan.trunk_prefix.empty() && s.starts_with(plan.trunk_prefix) &&
      (plan.national_length == 0 ||
       static_cast<int>(s.size() - plan.trunk_prefix.size()) == plan.national_length)) {
    national = s.substr(plan.trunk_prefix.size());
  }
  if (plan.national_length != 0 && static_cast<int>(national.size()) != plan.national_length) {
    // Already international without '+' ("14155550100" in NANP is caught above; a
    // carrier sending "442079460000" is caught here when it starts with a country code
    // and has E.164 length).
    if (national.size() > static_cast<std::size_t>(plan.national_length) &&
        national.size() <= kMaxE164Digits && national[0] != '0') {
      return e164(national);
    }
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' has {} digits; national numbers here have {}", raw,
                            national.size(), plan.national_length));
  }
  return e164(plan.country_code + national);
}

std::string national_format(const Number& number, const NumberingPlan& plan,
                            bool with_trunk_prefix) {
  if (number.kind != NumberKind::kE164) return number.digits;
  const std::string home = "+" + plan.country_code;
  if (!number.digits.starts_with(home)) return number.digits;
  return (with_trunk_prefix ? plan.trunk_prefix : std::string()) +
         number.digits.substr(home.size());
}

}  // namespace hotline::sw
