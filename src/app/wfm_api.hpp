// The workforce-management REST API, /api/v1/wfm/...: the operations of
// app/wfm_ops.hpp with JSON in and out.
//
//   POST /api/v1/wfm/erlang, .../check       answered at once (200): they are cheap
//   POST /api/v1/wfm/{forecast,schedule,validate,adherence}
//                                            202 + Location of a job: the work runs on
//                                            the WorkerPool, never on the control loop
//   GET  /api/v1/wfm/jobs                    the jobs kept (without results)
//   GET  /api/v1/wfm/jobs/{id}               status: queued, running, done, failed;
//                                            the result or error once finished
//   DELETE /api/v1/wfm/jobs/{id}             forget a finished job
//
// Errors carry {"error":{"code","message"}}: 400 invalid_json / invalid_argument,
// 422 unprocessable (valid input that cannot be met), 404 not_found, 409 (deleting an
// unfinished job), 429 too_many_jobs.
//
// Thread-safety: the routes and the job table live on the control loop (the thread
// running `loop`); workers only compute and post their result back to it.
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstddef>

#include "api/router.hpp"
#include "common/worker_pool.hpp"

namespace hotline::app {

struct WfmApiOptions {
  std::size_t max_jobs_kept = 64;    // finished jobs are evicted oldest first beyond this
  std::size_t max_jobs_pending = 4;  // queued + running; more is 429
};

// REQUIRES: `loop` and `workers` outlive every request served by `router` and every
// job submitted (the server joins the pool before the loop is destroyed).
void add_wfm_routes(api::Router& router, WorkerPool& workers, boost::asio::io_context& loop,
                    WfmApiOptions options = {});

}  // namespace hotline::app
