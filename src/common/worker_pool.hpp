// A pool of threads for blocking work (disk, database, webhooks, speech synthesis)
// so the control loop never waits (DESIGN.md principle 3). Work runs on a pool
// thread; its result is handed back on the control loop's executor, where the
// owner of the state can use it without locks.
//
// Thread-safety: submit() may be called from any thread. join() from the owner.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstddef>
#include <type_traits>
#include <utility>

namespace hotline {

class WorkerPool {
 public:
  explicit WorkerPool(std::size_t threads) : pool_(threads) {}
  ~WorkerPool() { join(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `work()` on a pool thread, then `done(result)` on `loop`.
  template <typename Work, typename Done>
  void submit(boost::asio::io_context& loop, Work work, Done done) {
    boost::asio::post(pool_, [&loop, work = std::move(work), done = std::move(done)]() mutable {
      if constexpr (std::is_void_v<std::invoke_result_t<Work&>>) {
        work();
        boost::asio::post(loop, std::move(done));
      } else {
        auto result = work();
        boost::asio::post(loop, [done = std::move(done), result = std::move(result)]() mutable {
          done(std::move(result));
        });
      }
    });
  }

  // Waits for queued work to finish and stops the threads. Idempotent.
  void join() { pool_.join(); }

 private:
  boost::asio::thread_pool pool_;
};

}  // namespace hotline
