// Test helpers for the api module's tests (header-only, not part of the library):
// an HttpServer running on its own loop thread, and raw TCP / WebSocket clients
// whose every wait has a deadline, so a broken server fails a test instead of
// hanging it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "api/http_server.hpp"

namespace hotline::api::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using HttpResponse = http::response<http::string_body>;

inline constexpr auto kDeadline = std::chrono::seconds(10);

inline HttpOptions test_options() {
  HttpOptions o;
  o.listen = HostPort{"127.0.0.1", 0};
  return o;
}

// An HttpServer on 127.0.0.1:<free port> whose io_context runs on a thread of its
// own. The destructor stops the server and checks that the loop then runs dry,
// i.e. that stop() really left no connection or timer behind.
class ServerFixture {
 public:
  explicit ServerFixture(HttpOptions options = test_options(),
                         std::function<void(HttpServer&)> setup = {})
      : server_(std::make_unique<HttpServer>(ioc_, std::move(options), metrics_)),
        work_(asio::make_work_guard(ioc_)) {
    if (setup) setup(*server_);
    auto started = server_->start();
    EXPECT_TRUE(started.has_value()) << (started ? "" : started.error().describe());
    port_ = server_->port();
    thread_ = std::thread([this] {
      ioc_.run();
      done_.set_value();
    });
  }

  ~ServerFixture() { shut_down(); }

  // Stops the server and waits for the loop to have nothing left to do.
  // Returns false if it still had work after the deadline.
  bool shut_down() {
    if (!thread_.joinable()) return true;
    on_loop([this] { server_->stop(); });
    work_.reset();
    auto finished = done_.get_future();
    bool ok = finished.wait_for(kDeadline) == std::future_status::ready;
    EXPECT_TRUE(ok) << "the io_context still had work after stop()";
    if (!ok) ioc_.stop();
    thread_.join();
    return ok;
  }

  // Runs `fn` on the loop thread and returns its result.
  template <class F>
  auto on_loop(F fn) -> decltype(fn()) {
    using R = decltype(fn());
    std::packaged_task<R()> task(std::move(fn));
    auto result = task.get_future();
    asio::post(ioc_, [&task] { task(); });
    if (result.wait_for(kDeadline) != std::future_status::ready) {
      ADD_FAILURE() << "loop thread did not run the task";
      std::abort();  // the task references this frame; nothing safe remains
    }
    return result.get();
  }

  HttpServer& server() { return *server_; }
  MetricsRegistry& metrics() { return metrics_; }
  std::uint16_t port() const { return port_; }

 private:
  asio::io_context ioc_;
  MetricsRegistry metrics_;
  std::unique_ptr<HttpServer> server_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::promise<void> done_;
  std::thread thread_;
  std::uint16_t port_ = 0;
};

// Runs the client's io_context until the pending operation completes or the
// deadline passes (the stream's expiry then fails the operation).
inline void run_client(asio::io_context& ioc) {
  ioc.restart();
  ioc.run();
}

// A TCP client that sends arbitrary bytes and reads HTTP responses.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port, std::optional<int> receive_buffer = std::nullopt)
      : stream_(ioc_) {
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    error_code ec;
    stream_.socket().open(tcp::v4(), ec);
    if (receive_buffer) {
      stream_.socket().set_option(asio::socket_base::receive_buffer_size(*receive_buffer), ec);
    }
    stream_.expires_after(kDeadline);
    stream_.async_connect(ep, [&](error_code e) { connect_error_ = e; });
    run_client(ioc_);
  }

  error_code connect_error() const { return connect_error_; }

  error_code send(std::string_view bytes) {
    error_code result;
    stream_.expires_after(kDeadline);
    asio::async_write(stream_, asio::buffer(bytes), [&](error_code e, std::size_t) { result = e; });
    run_client(ioc_);
    return result;
  }

  // One response, or nullopt if the connection ended (or the deadline passed) first.
  std::optional<HttpResponse> read_response(bool head_request = false) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    parser.skip(head_request);
    error_code result;
    stream_.expires_after(kDeadline);
    http::async_read(stream_, buffer_, parser, [&](error_code e, std::size_t) { result = e; });
    run_client(ioc_);
    last_error_ = result;
    if (result) return std::nullopt;
    return parser.release();
  }

  std::optional<HttpResponse> request(std::string_view bytes, bool head_request = false) {
    if (send(bytes)) return std::nullopt;
    return read_response(head_request);
  }

  // True when the server closes the connection (EOF or reset) before the deadline
  // without sending anything more.
  bool closed_by_peer() {
    if (buffer_.size() > 0) return false;
    std::array<char, 256> scratch{};
    error_code result;
    std::size_t got = 0;
    stream_.expires_after(kDeadline);
    stream_.async_read_some(asio::buffer(scratch), [&](error_code e, std::size_t n) {
      result = e;
      got = n;
    });
    run_client(ioc_);
    return got == 0 && (result == asio::error::eof || result == asio::error::connection_reset);
  }

  error_code last_error() const { return last_error_; }
  // For tests that start their own operation on stream() and then run().
  beast::tcp_stream& stream() { return stream_; }
  void run() { run_client(ioc_); }

 private:
  asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  error_code connect_error_;
  error_code last_error_;
};

inline std::string get(std::string_view path, std::string_view extra_headers = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: localhost\r\n" +
         std::string(extra_headers) + "\r\n";
}

// A WebSocket client of GET /ws.
class WsClient {
 public:
  explicit WsClient(std::uint16_t port, std::optional<int> receive_buffer = std::nullopt)
      : ws_(ioc_) {
    auto& sock = beast::get_lowest_layer(ws_).socket();
    error_code ec;
    sock.open(tcp::v4(), ec);
    if (receive_buffer) {
      sock.set_option(asio::socket_base::receive_buffer_size(*receive_buffer), ec);
    }
    beast::get_lowest_layer(ws_).expires_after(kDeadline);
    beast::get_lowest_layer(ws_).async_connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
        [&](error_code e) { error_ = e; });
    run_client(ioc_);
    if (error_) return;
    ws_.async_handshake("127.0.0.1", "/ws", [&](error_code e) { error_ = e; });
    run_client(ioc_);
    beast::get_lowest_layer(ws_).expires_never();
  }

  error_code error() const { return error_; }

  // The next text message, or nullopt when the stream ended (see error()).
  std::optional<std::string> read_text() {
    beast::flat_buffer buf;
    error_code result;
    bool done = false;
    ws_.async_read(buf, [&](error_code e, std::size_t) {
      result = e;
      done = true;
    });
    ioc_.restart();
    ioc_.run_for(kDeadline);
    if (!done) {
      beast::get_lowest_layer(ws_).close();
      ioc_.restart();
      ioc_.run();
      result = asio::error::timed_out;
    }
    error_ = result;
    if (result) return std::nullopt;
    return beast::buffers_to_string(buf.data());
  }

  websocket::close_reason close_reason() const { return ws_.reason(); }

 private:
  asio::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_;
  error_code error_;
};

// Lets a test thread wait for a value the loop thread reports (client counts).
class Watch {
 public:
  void set(std::size_t v) {
    std::lock_guard lock(mu_);
    value_ = v;
    cv_.notify_all();
  }
  bool wait_for(std::size_t v) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kDeadline, [&] { return value_ == v; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t value_ = 0;
};

}  // namespace hotline::api::testing
