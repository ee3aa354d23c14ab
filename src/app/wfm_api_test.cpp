// The /api/v1/wfm routes called directly with Request objects. Slow operations run on
// a real WorkerPool and report back through the io_context, which the test runs one
// handler at a time (a work guard keeps run_one() waiting for the worker's post), so
// no sleeps and no timing.
#include "app/wfm_api.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>

#include "support/test_support.hpp"

namespace hotline::app {
namespace {

using nlohmann::json;

class WfmApi : public ::testing::Test {
 protected:
  void SetUp() override { add_wfm_routes(router_, workers_, loop_, options_); }

  api::Response call(std::string method, std::string path, std::string body = "") {
    api::Request req;
    req.method = method;
    req.target = path;
    req.path = path;
    req.body = std::move(body);
    auto m = router_.find(method, path);
    if (!m.handler) {
      api::Response r;
      r.status = m.path_known ? 405 : 404;
      return r;
    }
    return (*m.handler)(req);
  }

  static json body(const api::Response& r) { return json::parse(r.body); }

  // Runs loop handlers until the job has finished; returns its final GET body.
  json wait_for(const std::string& location) {
    for (;;) {
      auto r = call("GET", location);
      EXPECT_EQ(r.status, 200);
      json j = body(r);
      if (j["status"] == "done" || j["status"] == "failed") return j;
      loop_.run_one();
    }
  }

  json run_job(const std::string& op, const json& request) {
    auto r = call("POST", "/api/v1/wfm/" + op, request.dump());
    EXPECT_EQ(r.status, 202) << r.body;
    std::string location;
    for (const auto& [k, v] : r.headers)
      if (k == "Location") location = v;
    EXPECT_EQ(location, body(r)["job"]["href"]);
    return wait_for(location);
  }

  boost::asio::io_context loop_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
      loop_.get_executor()};
  WorkerPool workers_{1};
  WfmApiOptions options_;
  api::Router router_;
};

TEST_F(WfmApi, ErlangAnswersAtOnceWithTheReferenceFigures) {
  // erlang_c.csv case C0077: 100 calls / 30 min, AHT 180 s, 14 agents, t = 20 s.
  auto r = call("POST", "/api/v1/wfm/erlang",
                R"({"calls":100,"interval_s":1800,"aht_s":180,"agents":14,"target_s":20})");
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = body(r);
  EXPECT_NEAR(j["service_level"].get<double>(), 0.8883500191794669, 1e-12);
  EXPECT_NEAR(j["p_wait"].get<double>(), 0.1741319335950498, 1e-12);
  EXPECT_NEAR(j["occupancy"].get<double>(), 10.0 / 14, 1e-12);

  r = call("POST", "/api/v1/wfm/erlang", R"({"calls":100,"aht_s":180,"service_level":0.8})");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(body(r)["min_agents"], 14);
}

TEST_F(WfmApi, BadInputIsAJsonError) {
  auto r = call("POST", "/api/v1/wfm/erlang", "{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body(r)["error"]["code"], "invalid_json");

  r = call("POST", "/api/v1/wfm/erlang", R"({"calls":100,"aht_s":-3})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body(r)["error"]["code"], "invalid_argument");
  EXPECT_NE(body(r)["error"]["message"].get<std::string>().find("aht_s"), std::string::npos);

  r = call("POST", "/api/v1/wfm/erlang", R"({"calls":100,"aht_s":180,"service_level":1})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(body(r)["error"]["message"].get<std::string>().find("finite staffing"),
            std::string::npos);

  // Valid, but no staffing up to the cap meets it: 422.
  r = call("POST", "/api/v1/wfm/erlang",
           R"({"calls":100000,"aht_s":180,"service_level":0.8,"max_agents":50})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(body(r)["error"]["code"], "unprocessable");

  r = call("POST", "/api/v1/wfm/forecast", "[1,2]");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(call("GET", "/api/v1/wfm/jobs/999").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/wfm/jobs/abc").status, 404);
}

// Three weeks of half-hours: a daily shape, weekdays busier than weekends.
json history_request() {
  json calls = json::array();
  for (int d = 0; d < 21; ++d)
    for (int s = 0; s < 48; ++s) {
      const double h = s / 2.0;
      const double base = (h >= 8 && h < 20) ? 40 + 20 * std::sin((h - 8) / 12 * 3.14159) : 5;
      calls.push_back(std::round(base * (d % 7 < 5 ? 1.0 : 0.5)));
    }
  return {{"history", {{"start", "2025-01-06T00:00"}, {"interval_s", 1800}, {"calls", calls}}},
          {"aht_s", 200}};
}

TEST_F(WfmApi, ForecastRunsAsAJob) {
  const json j = run_job("forecast", history_request());
  ASSERT_EQ(j["status"], "done") << j.dump();
  EXPECT_EQ(j["operation"], "forecast");
  const json& r = j["result"];
  EXPECT_EQ(r["intervals"].size(), 336u);
  EXPECT_EQ(r["start"], "2025-01-27T00:00");
  ASSERT_TRUE(r["backtest"].is_object());
  EXPECT_LT(r["backtest"]["wape"].get<double>(), 0.05) << "a noiseless weekly pattern";
  EXPECT_EQ(r["intervals"][20]["aht_s"], 200.0);

  // The list shows it without the result.
  const json list = body(call("GET", "/api/v1/wfm/jobs"));
  ASSERT_EQ(list["jobs"].size(), 1u);
  EXPECT_FALSE(list["jobs"][0].contains("result"));
  // A finished job can be deleted.
  EXPECT_EQ(call("DELETE", j["href"]).status, 204);
  EXPECT_EQ(call("GET", j["href"]).status, 404);
}

TEST_F(WfmApi, BadCsvRowFailsTheJobNamingTheLine) {
  json req = {{"history_csv", "interval_start,calls\n2025-01-06T00:00,3\n2025-01-06T00:30,-1\n"},
              {"history_name", "upload.csv"}};
  const json j = run_job("forecast", req);
  ASSERT_EQ(j["status"], "failed");
  EXPECT_EQ(j["error"]["code"], "invalid_argument");
  EXPECT_NE(j["error"]["message"].get<std::string>().find("upload.csv:3"), std::string::npos)
      << j["error"]["message"];
}

TEST_F(WfmApi, PendingJobsAreBoundedAndCannotBeDeleted) {
  // The loop does not run, so the first job stays queued from the table's view.
  options_.max_jobs_pending = 1;
  router_ = api::Router();
  add_wfm_routes(router_, workers_, loop_, options_);
  auto first = call("POST", "/api/v1/wfm/forecast", history_request().dump());
  ASSERT_EQ(first.status, 202);
  const std::string href = body(first)["job"]["href"];
  EXPECT_EQ(call("DELETE", href).status, 409);
  auto second = call("POST", "/api/v1/wfm/forecast", history_request().dump());
  EXPECT_EQ(second.status, 429);
  EXPECT_EQ(body(second)["error"]["code"], "too_many_jobs");
  EXPECT_EQ(wait_for(href)["status"], "done");
  EXPECT_EQ(call("POST", "/api/v1/wfm/forecast", history_request().dump()).status, 202);
}

// 2 agents, one 8-hour template; the requirement asks for 3 on Monday 09:00-12:00.
json small_problem() {
  json req = json::array();
  for (int i = 0; i < 7 * 48; ++i) {
    const int h = (i % 48) / 2;
    req.push_back(i / 48 < 5 && h >= 9 && h < 17 ? (i < 48 && h < 12 ? 3 : 1) : 0);
  }
  return {{"slot_s", 1800},
          {"requirement", req},
          {"templates",
           {{{"name", "day"},
             {"length_min", 480},
             {"earliest_start_min", 540},
             {"latest_start_min", 540},
             {"breaks",
              {{{"name", "lunch"},
                {"length_min", 30},
                {"paid", false},
                {"earliest_after_min", 180},
                {"latest_after_min", 300}}}}}}},
          {"agents",
           {{{"id", "ann"}, {"contract_hours", 40}, {"contract_tolerance_hours", 0}},
            {{"id", "bob"}, {"contract_hours", 40}, {"days_off", {"Sat", "Sun"}}}}}};
}

TEST_F(WfmApi, ScheduleReturnsTheBestPartialScheduleWithUncoveredIntervals) {
  const json j =
      run_job("schedule", {{"problem", small_problem()}, {"options", {{"time_limit_s", 5}}}});
  ASSERT_EQ(j["status"], "done") << j.dump();
  const json& r = j["result"];
  EXPECT_FALSE(r["shifts"].empty());
  EXPECT_TRUE(r["violations"].empty()) << r["violations"].dump();
  ASSERT_FALSE(r["uncovered"].empty()) << "3 agents needed, 2 exist";
  EXPECT_EQ(r["uncovered"][0]["start"], "Mon 09:00");
  EXPECT_GT(r["coverage_gap"].get<double>(), 0);
  EXPECT_EQ(r["shifts"][0]["agent"], "ann");
  EXPECT_EQ(r["shifts"][0]["start"], "Mon 09:00");
}

TEST_F(WfmApi, ContradictoryShiftRuleNamesTheRule) {
  json p = small_problem();
  p["templates"][0]["breaks"][0]["latest_after_min"] = 600;  // past the 8-hour shift
  const json j = run_job("schedule", {{"problem", p}});
  ASSERT_EQ(j["status"], "failed");
  EXPECT_NE(j["error"]["message"].get<std::string>().find("day"), std::string::npos)
      << j["error"]["message"];
  EXPECT_NE(j["error"]["message"].get<std::string>().find("lunch"), std::string::npos)
      << j["error"]["message"];
}

TEST_F(WfmApi, CheckFindsTheRuleAHandEditBreaks) {
  // bob never works weekends; a planner drags his shift onto Saturday.
  json sched = {{"shifts",
                 {{{"agent", "bob"},
                   {"template", "day"},
                   {"start_slot", 5 * 48 + 18},
                   {"length_slots", 16},
                   {"breaks",
                    {{{"name", "lunch"},
                      {"start_slot", 5 * 48 + 26},
                      {"length_slots", 1},
                      {"paid", false}}}}}}}};
  auto r = call("POST", "/api/v1/wfm/check",
                json{{"problem", small_problem()}, {"schedule", sched}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = body(r);
  ASSERT_EQ(j["violations"].size(), 1u) << j["violations"].dump();
  EXPECT_EQ(j["violations"][0]["rule"], "day_off");
  EXPECT_EQ(j["violations"][0]["agent"], "bob");
  EXPECT_EQ(j["coverage"][5 * 48 + 18], 1.0);
  EXPECT_EQ(j["coverage"][5 * 48 + 26], 0.0) << "lunch";
  EXPECT_FALSE(j["uncovered"].empty()) << "nobody on weekdays";

  sched["shifts"][0]["agent"] = "zed";
  r = call("POST", "/api/v1/wfm/check",
           json{{"problem", small_problem()}, {"schedule", sched}}.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(body(r)["error"]["message"].get<std::string>().find("schedule.shifts[0].agent"),
            std::string::npos);
}

TEST_F(WfmApi, ValidateSimulatesAGivenSchedule) {
  // ann works Monday 09:00-17:00 (no breaks); 20 calls per half hour at 180 s.
  json demand = json::array();
  for (int i = 0; i < 336; ++i) demand.push_back({{"calls", i >= 18 && i < 34 ? 20 : 0}});
  json req = {
      {"problem", small_problem()},
      {"demand", {{"interval_s", 1800}, {"aht_s", 180}, {"intervals", demand}}},
      {"schedule", {{"shifts", {{{"agent", "ann"}, {"start_slot", 18}, {"length_slots", 16}}}}}},
      {"staffing", {{"patience_s", 60}}},
      {"replications", 2}};
  const json j = run_job("validate", req);
  ASSERT_EQ(j["status"], "done") << j.dump();
  const json& r = j["result"];
  EXPECT_EQ(r["model"], "erlang_a");
  ASSERT_EQ(r["intervals"].size(), 336u);
  const json& iv = r["intervals"][20];
  EXPECT_EQ(iv["agents"], 1.0);
  EXPECT_GT(iv["offered"].get<int>(), 0);
  EXPECT_LT(iv["simulated_sl"].get<double>(), 0.8) << "2 Erlangs on one agent";
  EXPECT_LT(iv["erlang_sl"].get<double>(), 0.8);
}

TEST_F(WfmApi, AdherenceFromStateEvents) {
  json req = {{"problem", small_problem()},
              {"schedule",
               {{"shifts",
                 {{{"agent", "ann"},
                   {"start_slot", 18},
                   {"length_slots", 16},
                   {"breaks", {{{"name", "lunch"}, {"start_slot", 26}, {"length_slots", 1}}}}}}}}},
              {"week_start", "2025-03-03"},
              {"events",
               {{{"time", "2025-03-03T09:30:00Z"}, {"agent", "ann"}, {"state", "ready"}},
                {{"time", "2025-03-03T13:00:00Z"}, {"agent", "ann"}, {"state", "not_ready"}},
                {{"time", "2025-03-03T13:30:00Z"}, {"agent", "ann"}, {"state", "busy"}},
                {{"time", "2025-03-03T17:00:00Z"}, {"agent", "ann"}, {"state", "logged_out"}}}}};
  const json j = run_job("adherence", req);
  ASSERT_EQ(j["status"], "done") << j.dump();
  const json& d = j["result"]["days"][0];
  EXPECT_EQ(d["agent"], "ann");
  EXPECT_EQ(d["date"], "2025-03-03");
  EXPECT_EQ(d["scheduled_min"], 480.0);
  EXPECT_EQ(d["in_adherence_min"], 450.0) << "30 minutes late";
  ASSERT_EQ(d["exceptions"].size(), 1u);
  EXPECT_EQ(d["exceptions"][0]["from"], "2025-03-03T09:00");

  req["events"][0]["state"] = "dancing";
  const json bad = run_job("adherence", req);
  ASSERT_EQ(bad["status"], "failed");
  EXPECT_NE(bad["error"]["message"].get<std::string>().find("events[0].state"), std::string::npos);
}

}  // namespace
}  // namespace hotline::app
