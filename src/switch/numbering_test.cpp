#include "switch/numbering.hpp"

#include <gtest/gtest.h>

namespace hotline::sw {
namespace {

NumberingPlan nanp() {
  return {};
}

NumberingPlan uk() {
  return {.country_code = "44",
          .international_prefix = "00",
          .trunk_prefix = "0",
          .national_length = 10,
          .max_short_length = 6};
}

std::string e164(std::string_view raw, const NumberingPlan& plan) {
  auto n = normalize(raw, plan);
  EXPECT_TRUE(n) << raw << ": " << n.error().message;
  if (!n) return "";
  EXPECT_EQ(n->kind, NumberKind::kE164) << raw;
  return n->digits;
}

TEST(Numbering, NanpFormsAllBecomeE164) {
  for (const char* raw : {"(415) 555-0100", "415.555.0100", "1 415 555 0100", "+1 415 555 0100",
                          "011 1 415 555 0100", "14155550100"}) {
    EXPECT_EQ(e164(raw, nanp()), "+14155550100") << raw;
  }
  EXPECT_EQ(e164("011 44 20 7946 0000", nanp()), "+442079460000");
}

TEST(Numbering, EuropeanTrunkAndInternationalPrefixes) {
  EXPECT_EQ(e164("020 7946 0000", uk()), "+442079460000");
  EXPECT_EQ(e164("0033 1 23 45 67 89", uk()), "+33123456789");
  EXPECT_EQ(e164("+49 30 1234567", uk()), "+49301234567");
  // A carrier that sends the country code without '+'.
  EXPECT_EQ(e164("442079460000", uk()), "+442079460000");
}

TEST(Numbering, ShortNumbersStayAsDialled) {
  for (const char* raw : {"1001", "100", "*50", "#21#", "911", "116117"}) {
    auto n = normalize(raw, nanp());
    ASSERT_TRUE(n) << raw;
    EXPECT_EQ(n->kind, NumberKind::kShort) << raw;
    EXPECT_EQ(n->digits, raw);
  }
}

TEST(Numbering, BadNumbersSayWhy) {
  struct Case {
    const char* raw;
    const char* why;
  } cases[] = {
      {"", "empty"},
      {"  - ", "empty"},
      {"call-me", "not a number"},
      {"+1 (415) 555-01x0", "not a number"},
      {"41+55550100", "not a number"},
      {"+1234567890123456", "at most 15"},
      {"+0441234", "cannot start with 0"},
      {"55501000", "national numbers here have 10"},
  };
  for (const Case& c : cases) {
    auto n = normalize(c.raw, nanp());
    ASSERT_FALSE(n) << c.raw << " gave " << n->digits;
    EXPECT_NE(n.error().message.find(c.why), std::string::npos)
        << c.raw << ": " << n.error().message;
  }
}

TEST(Numbering, NationalFormatForDisplay) {
  const Number n{NumberKind::kE164, "+442079460000"};
  EXPECT_EQ(national_format(n, uk(), true), "02079460000");
  EXPECT_EQ(national_format(n, uk(), false), "2079460000");
  EXPECT_EQ(national_format(n, nanp(), true), "+442079460000");  // foreign stays E.164
  EXPECT_EQ(national_format({NumberKind::kShort, "1001"}, uk(), true), "1001");
}

TEST(Numbering, PlansAreValidated) {
  EXPECT_TRUE(validate(nanp()));
  EXPECT_TRUE(validate(uk()));
  NumberingPlan p = nanp();
  p.country_code = "0";
  EXPECT_FALSE(validate(p));
  p = nanp();
  p.national_length = 4;
  EXPECT_FALSE(validate(p));
  p = nanp();
  p.trunk_prefix = "x";
  EXPECT_FALSE(validate(p));
}

}  // namespace
}  // namespace hotline::sw
