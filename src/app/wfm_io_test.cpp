// The files and tables of `hotline wfm`: the agent-state CSV reader's errors name the
// line, and each output format carries the figures (CSV rows parse back, tables align).
#include "app/wfm_io.hpp"

#include <gtest/gtest.h>

namespace hotline::app::wfm_io {
namespace {

using nlohmann::json;

TEST(WfmIo, StatesCsvByHeaderName) {
  auto ev = parse_states_csv(
      "# exported from the event log\nstate,agent,time\nready,a1,2025-03-03T08:00\n\n"
      "busy, a1 ,2025-03-03T08:05:30Z\n",
      "s.csv");
  ASSERT_TRUE(ev) << ev.error().message;
  ASSERT_EQ(ev->size(), 2u);
  EXPECT_EQ((*ev)[1]["agent"], "a1");
  EXPECT_EQ((*ev)[1]["time"], "2025-03-03T08:05:30Z");
  EXPECT_EQ((*ev)[1]["state"], "busy");
  EXPECT_EQ((*ev)[1]["line"], 5);
}

TEST(WfmIo, StatesCsvErrorsNameFileAndLine) {
  auto missing = parse_states_csv("time,who,state\n", "s.csv");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message.rfind("s.csv:1:", 0), 0u) << missing.error().message;
  auto fields = parse_states_csv("time,agent,state\n2025-03-03T08:00,a1\n", "s.csv");
  ASSERT_FALSE(fields);
  EXPECT_EQ(fields.error().message, "s.csv:2: 2 fields, the header has 3");
  auto time =
      parse_states_csv("time,agent,state\n2025-03-03T08:00,a1,ready\n8am,a1,busy\n", "s.csv");
  ASSERT_FALSE(time);
  EXPECT_NE(time.error().message.find("s.csv:3: time '8am'"), std::string::npos);
  EXPECT_FALSE(parse_states_csv("", "empty.csv"));
}

TEST(WfmIo, FormatsAndFiles) {
  EXPECT_EQ(parse_format("csv"), Format::kCsv);
  EXPECT_FALSE(parse_format("xml"));
  auto missing = read_text_file("/nonexistent/hotline-wfm.csv");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  EXPECT_NE(missing.error().message.find("/nonexistent/hotline-wfm.csv"), std::string::npos);
}

TEST(WfmIo, ForecastRendersRowsAndSummary) {
  const json result = {
      {"method", "holt_winters"},
      {"start", "2025-03-03T00:00"},
      {"total_calls", 30.0},
      {"backtest", {{"wape", 0.1219}, {"mape", 0.2642}}},
      {"scores", json::array()},
      {"intervals",
       {{{"interval_start", "2025-03-03T00:00"}, {"calls", 10.5}, {"aht_s", 180.0}},
        {{"interval_start", "2025-03-03T00:30"}, {"calls", 19.5}}}}};
  const auto csv = render("forecast", result, Format::kCsv);
  EXPECT_EQ(csv.out,
            "interval_start,calls,aht_s\n2025-03-03T00:00,10.5,180.0\n2025-03-03T00:30,19.5,\n");
  EXPECT_NE(csv.notes.find("WAPE 0.1219"), std::string::npos);
  const auto table = render("forecast", result, Format::kTable);
  EXPECT_NE(table.out.find("back-test WAPE 0.1219 MAPE 0.2642"), std::string::npos);
  EXPECT_NE(table.out.find("2025-03-03T00:30  19.50"), std::string::npos) << table.out;
  const auto js = render("forecast", result, Format::kJson);
  EXPECT_EQ(json::parse(js.out), result);
}

}  // namespace
}  // namespace hotline::app::wfm_io
