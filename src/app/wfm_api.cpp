#include "app/wfm_api.hpp"

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "app/wfm_ops.hpp"

namespace hotline::app {

using nlohmann::json;

namespace {

constexpr std::string_view kPrefix = "/api/v1/wfm/";
constexpr std::string_view kJobs = "/api/v1/wfm/jobs/";

enum class JobStatus { kQueued, kRunning, kDone, kFailed };

std::string_view to_string(JobStatus s) {
  switch (s) {
    case JobStatus::kQueued: return "queued";
    case JobStatus::kRunning: return "running";
    case JobStatus::kDone: return "done";
    case JobStatus::kFailed: return "failed";
  }
  return "?";
}

struct Job {
  std::string operation;
  JobStatus status = JobStatus::kQueued;
  json result;  // when done
  Error error;  // when failed
};

std::string_view error_code(ErrorCode c) {
  switch (c) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kFailedPrecondition: return "unprocessable";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kResourceExhausted: return "too_many_jobs";
    default: return "internal";
  }
}

int http_status(ErrorCode c) {
  switch (c) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kFailedPrecondition: return 422;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kResourceExhausted: return 429;
    default: return 500;
  }
}

api::Response json_response(int status, const json& body) {
  api::Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

// Everything the routes share; owned jointly by the handlers and jobs in flight.
struct State {
  WorkerPool* workers = nullptr;
  boost::asio::io_context* loop = nullptr;
  WfmApiOptions options;
  std::uint64_t next_id = 1;
  std::map<std::uint64_t, Job> jobs;  // ordered by id = by submission

  std::size_t pending() const {
    std::size_t n = 0;
    for (const auto& [id, j] : jobs)
      if (j.status == JobStatus::kQueued || j.status == JobStatus::kRunning) ++n;
    return n;
  }

  // Drops the oldest finished jobs until one more fits.
  void make_room() {
    for (auto it = jobs.begin(); jobs.size() >= options.max_jobs_kept && it != jobs.end();) {
      if (it->second.status == JobStatus::kDone || it->second.status == JobStatus::kFailed)
        it = jobs.erase(it);
      else
        ++it;
    }
  }
};

json job_json(std::uint64_t id, const Job& j, bool with_result) {
  json out = {{"id", std::to_string(id)},
              {"operation", j.operation},
              {"status", std::string(to_string(j.status))},
              {"href", std::string(kJobs) + std::to_string(id)}};
  if (with_result && j.status == JobStatus::kDone) out["result"] = j.result;
  if (j.status == JobStatus::kFailed)
    out["error"] = {{"code", error_code(j.error.code)}, {"message", j.error.message}};
  return out;
}

std::optional<json> parse_body(const api::Request& req, api::Response& error) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) {
    error = api::json_error(400, "invalid_json", "the request body is not JSON");
    return std::nullopt;
  }
  if (!body.is_object()) {
    error = api::json_error(400, "invalid_json", "the request body must be a JSON object");
    return std::nullopt;
  }
  return body;
}

api::Response submit(const std::shared_ptr<State>& s, std::string op, const api::Request& req) {
  api::Response error;
  auto body = parse_body(req, error);
  if (!body) return error;
  if (s->pending() >= s->options.max_jobs_pending)
    return api::json_error(429, "too_many_jobs",
                           "too many WFM jobs in progress; retry when one has finished");
  s->make_room();
  if (s->jobs.size() >= s->options.max_jobs_kept)
    return api::json_error(429, "too_many_jobs", "the job table is full of unfinished jobs");
  const std::uint64_t id = s->next_id++;
  s->jobs[id] = Job{op, JobStatus::kQueued, {}, {}};
  std::weak_ptr<State> weak = s;
  boost::asio::io_context& loop = *s->loop;
  s->workers->submit(
      loop,
      [weak, &loop, id, op, request = std::move(*body)] {
        boost::asio::post(loop, [weak, id] {
          if (auto st = weak.lock()) {
            auto it = st->jobs.find(id);
            if (it != st->jobs.end() && it->second.status == JobStatus::kQueued)
              it->second.status = JobStatus::kRunning;
          }
        });
        return wfm_ops::run(op, request);
      },
      [weak, id](Result<json> result) {
        auto st = weak.lock();
        if (!st) return;
        auto it = st->jobs.find(id);
        if (it == st->jobs.end()) return;
        if (result) {
          it->second.status = JobStatus::kDone;
          it->second.result = std::move(*result);
        } else {
          it->second.status = JobStatus::kFailed;
          it->second.error = std::move(result.error());
        }
      });
  api::Response r = json_response(202, {{"job", job_json(id, s->jobs[id], false)}});
  r.headers.emplace_back("Location", std::string(kJobs) + std::to_string(id));
  return r;
}

std::optional<std::uint64_t> job_id(std::string_view path) {
  if (!path.starts_with(kJobs)) return std::nullopt;
  const auto rest = path.substr(kJobs.size());
  if (rest.empty() || rest.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : rest) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

}  // namespace

void add_wfm_routes(api::Router& router, WorkerPool& workers, boost::asio::io_context& loop,
                    WfmApiOptions options) {
  auto s = std::make_shared<State>();
  s->workers = &workers;
  s->loop = &loop;
  s->options = options;
  if (s->options.max_jobs_kept == 0) s->options.max_jobs_kept = 1;

  // Cheap enough for the control loop: bounded by the body limit and linear in it.
  for (const char* op : {"erlang", "check"}) {
    router.add("POST", std::string(kPrefix) + op, [op = std::string(op)](const api::Request& req) {
      api::Response error;
      auto body = parse_body(req, error);
      if (!body) return error;
      auto result = wfm_ops::run(op, *body);
      if (!result)
        return api::json_error(http_status(result.error().code), error_code(result.error().code),
                               result.error().message);
      return json_response(200, *result);
    });
  }
  for (const char* op : {"forecast", "schedule", "validate", "adherence"}) {
    router.add("POST", std::string(kPrefix) + op,
               [s, op = std::string(op)](const api::Request& req) { return submit(s, op, req); });
  }
  router.add("GET", std::string(kPrefix) + "jobs", [s](const api::Request&) {
    json list = json::array();
    for (const auto& [id, j] : s->jobs) list.push_back(job_json(id, j, false));
    return json_response(200, {{"jobs", list}});
  });
  router.add("GET", std::string(kJobs) + "*", [s](const api::Request& req) {
    const auto id = job_id(req.path);
    auto it = id ? s->jobs.find(*id) : s->jobs.end();
    if (it == s->jobs.end()) return api::json_error(404, "not_found", "no WFM job at " + req.path);
    return json_response(200, job_json(it->first, it->second, true));
  });
  router.add("DELETE", std::string(kJobs) + "*", [s](const api::Request& req) {
    const auto id = job_id(req.path);
    auto it = id ? s->jobs.find(*id) : s->jobs.end();
    if (it == s->jobs.end()) return api::json_error(404, "not_found", "no WFM job at " + req.path);
    if (it->second.status == JobStatus::kQueued || it->second.status == JobStatus::kRunning)
      return api::json_error(409, "conflict", "the job has not finished");
    s->jobs.erase(it);
    api::Response r;
    r.status = 204;
    r.body.clear();
    return r;
  });
}

}  // namespace hotline::app
