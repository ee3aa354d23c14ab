// Phone numbers as the switch compares them: what a caller or a carrier sends
// ("(415) 555-0100", "0044 20 7946 0000", "+1 415 555 0100", "1001") normalised to
// E.164 ("+14155550100") by the rules of the installation's home country, with short
// numbers (extensions, feature codes, service numbers) left as dialled.
//
// libphonenumber would know every country's rules, but Debian 12's package pulls in
// Boost 1.74, which cannot be installed next to the Boost 1.81 hotline builds with;
// a contact center needs the home-country rules below, given in configuration.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/error.hpp"

namespace hotline::sw {

struct NumberingPlan {
  std::string country_code = "1";            // calling code of the home country, no '+'
  std::string international_prefix = "011";  // dialled before a foreign country code
  std::string trunk_prefix = "1";            // national (trunk) prefix; "0" in most of Europe
  // National significant numbers have this many digits (NANP: 10). 0 = any length
  // above max_short_length is taken as national.
  int national_length = 10;
  // Numbers of at most this many digits are short numbers (extensions, services)
  // and are not normalised.
  int max_short_length = 6;
};

Status validate(const NumberingPlan& plan);

enum class NumberKind { kE164, kShort };

struct Number {
  NumberKind kind = NumberKind::kShort;
  std::string digits;  // "+14155550100", or a short number as dialled ("1001", "*50")
  friend bool operator==(const Number&, const Number&) = default;
};

// Strips visual separators (space, '-', '.', '(', ')'), then applies the plan.
// Errors (kInvalidArgument) name what is wrong: letters, an empty number, a '+'
// not at the start, a number too long for E.164 (15 digits).
Result<Number> normalize(std::string_view raw, const NumberingPlan& plan);

// How a number is shown to the home country: "+14155550100" → "4155550100" when
// national (with the trunk prefix when `with_trunk_prefix`), else the E.164 form.
std::string national_format(const Number& number, const NumberingPlan& plan,
                            bool with_trunk_prefix);

}  // namespace hotline::sw
