#include "api/http_session.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>
#include <exception>
#include <utility>
#include <variant>

#include "api/ws_session.hpp"
#include "common/log.hpp"

namespace hotline::api::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

// Over-cap connections are answered 503; past this many such answers in flight
// further ones are simply closed, so a connection flood costs nothing.
constexpr std::size_t kMaxRejecting = 64;
// After an error answer, read and discard at most this much for at most this long.
constexpr std::size_t kMaxDrainBytes = 1024 * 1024;
constexpr Duration kMaxLinger = std::chrono::seconds(2);
// Slack above max_header_bytes so Beast's header_limit (431) fires before the
// read buffer fills.
constexpr std::size_t kBufferSlack = 4096;

bool is_http_error(const error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category();
}

bool has_crlf(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

}  // namespace

HttpSession::HttpSession(asio::ip::tcp::socket socket, std::shared_ptr<ServerState> state,
                         std::unique_ptr<ConnectionSlot> slot)
    : socket_(std::move(socket)),
      state_(std::move(state)),
      slot_(std::move(slot)),
      timer_(state_->ioc),
      buffer_(state_->options.max_header_bytes + kBufferSlack) {}

HttpSession::~HttpSession() {
  if (track_id_ != 0) state_->untrack(track_id_);
  if (reject_) --state_->rejecting;
}

void HttpSession::start() {
  track_id_ = state_->track(weak_from_this());
  phase_ = Phase::kReading;
  arm(state_->options.request_timeout);
  read_header();
}

void HttpSession::start_reject() {
  if (state_->rejecting >= kMaxRejecting) {
    close_now();
    return;
  }
  reject_ = true;
  ++state_->rejecting;
  track_id_ = state_->track(weak_from_this());
  send_error(503, "over_capacity", "too many connections; try again later");
}

void HttpSession::shutdown() {
  stopping_ = true;
  // A response being written is let finish; on_written then closes.
  if (phase_ != Phase::kWriting) close_now();
}

void HttpSession::arm(Duration d) {
  const std::uint64_t generation = ++timer_generation_;
  timer_.expires_after(d);
  timer_.async_wait([self = shared_from_this(), generation](error_code ec) {
    if (ec || generation != self->timer_generation_) return;
    self->on_timer();
  });
}

void HttpSession::on_timer() {
  switch (phase_) {
    case Phase::kReading:
      // Cancel the read; its handler answers 408 (a socket close would lose it).
      timed_out_ = true;
      socket_.cancel();
      break;
    case Phase::kIdle:
    case Phase::kWriting:
    case Phase::kDraining: close_now(); break;
    case Phase::kDone: break;
  }
}

void HttpSession::wait_for_request() {
  // Between keep-alive requests only the idle timeout applies; the request timeout
  // starts with the first byte of the next request.
  phase_ = Phase::kIdle;
  arm(state_->options.idle_timeout);
  socket_.async_wait(asio::ip::tcp::socket::wait_read, [self = shared_from_this()](error_code ec) {
    if (self->phase_ == Phase::kDone) return;
    if (ec) {
      self->close_now();
      return;
    }
    self->phase_ = Phase::kReading;
    self->arm(self->state_->options.request_timeout);
    self->read_header();
  });
}

void HttpSession::read_header() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(state_->options.max_header_bytes, UINT32_MAX)));
  parser_->body_limit(state_->options.max_body_bytes);
  http::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
}

bool HttpSession::read_failed(error_code ec) {
  if (phase_ == Phase::kDone) return true;
  if (!ec && timed_out_) ec = asio::error::operation_aborted;
  if (!ec) return false;
  on_read_error(ec);
  return true;
}

void HttpSession::read_body() {
  http::async_read(socket_, buffer_, *parser_,
                   [self = shared_from_this()](error_code ec, std::size_t) { self->on_body(ec); });
}

void HttpSession::on_header(error_code ec) {
  if (read_failed(ec)) return;
  auto& req = parser_->get();
  auto expect = req[http::field::expect];
  if (!expect.empty()) {
    if (!beast::iequals(expect, "100-continue")) {
      send_error(417, "expectation_failed", "only 'Expect: 100-continue' is supported");
      return;
    }
    if (!parser_->is_done()) {
      // The client waits for this before sending the body (curl does, for large posts).
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(socket_, asio::buffer(kContinue),
                        [self = shared_from_this()](error_code wec, std::size_t) {
                          if (self->phase_ == Phase::kDone) return;
                          if (wec) {
                            self->close_now();
                            return;
                          }
                          self->read_body();
                        });
      return;
    }
  }
  read_body();
}

void HttpSession::on_body(error_code ec) {
  if (read_failed(ec)) return;
  handle();
}

void HttpSession::on_read_error(error_code ec) {
  if (ec == asio::error::operation_aborted) {
    if (timed_out_ && !stopping_) {
      send_error(408, "request_timeout", "the request did not arrive in time");
    } else {
      close_now();
    }
    return;
  }
  if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
      !is_http_error(ec)) {
    close_now();  // the peer went away (or the socket failed): nobody to answer
    return;
  }
  if (ec == http::error::header_limit ||
      (ec == http::error::buffer_overflow && !parser_->is_header_done())) {
    send_error(431, "header_too_large", "request headers exceed the limit");
  } else if (ec == http::error::body_limit || ec == http::error::buffer_overflow) {
    send_error(413, "body_too_large", "request body exceeds the limit");
  } else {
    send_error(400, "bad_request", "malformed request: " + ec.message());
  }
}

void HttpSession::handle() {
  auto& req = parser_->get();
  const unsigned version = req.version();
  const bool head = req.method() == http::verb::head;
  const bool keep_alive = req.keep_alive() && !stopping_ && !state_->stopping;

  auto parts = split_target(req.target());
  if (!parts) {
    send(json_error(400, "bad_target", "request target is not a valid path"), version, false, head);
    return;
  }
  if (parts->path == "/ws" && beast::websocket::is_upgrade(req)) {
    upgrade_to_websocket();
    return;
  }

  Request r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  r.path = std::move(parts->path);
  r.query = std::move(parts->query);
  for (const auto& field : req) {
    r.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  r.body = std::move(req.body());

  const Router::Match match = state_->router.find(r.method, r.path);
  if (match.handler == nullptr && !match.path_known && state_->static_files.enabled()) {
    if (r.method == "GET" || r.method == "HEAD") {
      if (send_static(r, version, keep_alive, head)) return;
    } else {
      Response res = json_error(405, "method_not_allowed", "static files allow GET and HEAD");
      res.headers.emplace_back("Allow", "GET, HEAD");
      send(std::move(res), version, keep_alive, head);
      return;
    }
  }
  send(dispatch(r), version, keep_alive, head);
}

Response HttpSession::dispatch(const Request& req) {
  const Router::Match match = state_->router.find(req.method, req.path);
  if (match.handler == nullptr) {
    if (!match.path_known) {
      return json_error(404, "not_found", "no route for " + req.method + " " + req.path);
    }
    Response res = json_error(405, "method_not_allowed", req.method + " is not allowed here");
    std::string allow;
    for (const auto& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
    res.headers.emplace_back("Allow", allow);
    return res;
  }
  try {
    return (*match.handler)(req);
  } catch (const std::exception& e) {
    log::error(
        "http", "handler threw",
        {log::kv("method", req.method), log::kv("path", req.path), log::kv("error", e.what())});
  } catch (...) {
    log::error("http", "handler threw a non-exception",
               {log::kv("method", req.method), log::kv("path", req.path)});
  }
  return json_error(500, "internal", "internal server error");
}

void HttpSession::upgrade_to_websocket() {
  if (!slot_) {
    close_now();
    return;
  }
  auto ws = std::make_shared<WsSession>(std::move(socket_), std::move(slot_));
  ws->start(parser_->release());
  phase_ = Phase::kDone;
  timer_.cancel();
}

bool HttpSession::send_static(const Request& req, unsigned version, bool keep_alive, bool head) {
  auto resolved = state_->static_files.resolve(req.path);
  if (auto* err = std::get_if<Response>(&resolved)) {
    send(std::move(*err), version, keep_alive, head);
    return true;
  }
  const auto& file = std::get<StaticFile>(resolved);
  state_->count_status(200);
  if (head) {
    auto res = std::make_shared<http::response<http::empty_body>>(http::status::ok, version);
    res->set(http::field::content_type, file.content_type);
    res->content_length(file.size);
    res->keep_alive(keep_alive);
    write(std::move(res));
    return true;
  }
  http::file_body::value_type body;
  error_code ec;
  body.open(file.path.c_str(), beast::file_mode::scan, ec);
  if (ec) {
    send(json_error(404, "not_found", "no such file"), version, keep_alive, head);
    return true;
  }
  auto res = std::make_shared<http::response<http::file_body>>(
      std::piecewise_construct, std::make_tuple(std::move(body)),
      std::make_tuple(http::status::ok, version));
  res->set(http::field::content_type, file.content_type);
  res->keep_alive(keep_alive);
  res->prepare_payload();
  write(std::move(res));
  return true;
}

void HttpSession::send(Response r, unsigned version, bool keep_alive, bool head) {
  if (r.status < 100 || r.status > 599) {
    log::error("http", "handler returned an invalid status", {log::kv("status", r.status)});
    r = json_error(500, "internal", "internal server error");
  }
  if (r.status < 200 || r.status == 204 || r.status == 304) r.body.clear();
  state_->count_status(r.status);
  log::debug("http", "response", {log::kv("status", r.status), log::kv("bytes", r.body.size())});

  auto fill = [&](auto& res) {
    res.version(version);
    res.result(static_cast<unsigned>(r.status));
    if (!r.content_type.empty() && !has_crlf(r.content_type)) {
      res.set(http::field::content_type, r.content_type);
    }
    for (const auto& [name, value] : r.headers) {
      if (name.empty() || has_crlf(name) || has_crlf(value)) continue;  // no header injection
      res.insert(name, value);
    }
    res.keep_alive(keep_alive);
  };
  if (head) {
    auto res = std::make_shared<http::response<http::empty_body>>();
    fill(*res);
    res->content_length(r.body.size());
    write(std::move(res));
    return;
  }
  auto res = std::make_shared<http::response<http::string_body>>();
  fill(*res);
  res->body() = std::move(r.body);
  res->prepare_payload();
  write(std::move(res));
}

void HttpSession::send_error(int status, std::string_view code, std::string_view message) {
  send(json_error(status, code, message), 11, false, false);
}

template <class Message>
void HttpSession::write(std::shared_ptr<Message> msg) {
  phase_ = Phase::kWriting;
  arm(state_->options.request_timeout);
  const bool close = msg->need_eof();
  Message& ref = *msg;
  in_flight_ = std::move(msg);
  http::async_write(socket_, ref, [self = shared_from_this(), close](error_code ec, std::size_t) {
    self->on_written(ec, close);
  });
}

void HttpSession::on_written(error_code ec, bool close) {
  in_flight_.reset();
  if (phase_ == Phase::kDone) return;
  if (ec) {
    close_now();
    return;
  }
  if (close || stopping_ || reject_) {
    linger_close();
    return;
  }
  next_request();
}

void HttpSession::next_request() {
  parser_.reset();
  if (buffer_.size() > 0) {  // a pipelined request is already here
    phase_ = Phase::kReading;
    arm(state_->options.request_timeout);
    read_header();
  } else {
    wait_for_request();
  }
}

void HttpSession::linger_close() {
  phase_ = Phase::kDraining;
  arm(std::min<Duration>(state_->options.request_timeout, kMaxLinger));
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  drain();
}

void HttpSession::drain() {
  socket_.async_read_some(asio::buffer(drain_buf_),
                          [self = shared_from_this()](error_code ec, std::size_t n) {
                            if (self->phase_ == Phase::kDone) return;
                            self->drained_ += n;
                            if (ec || self->drained_ > kMaxDrainBytes) {
                              self->close_now();
                              return;
                            }
                            self->drain();
                          });
}

void HttpSession::close_now() {
  phase_ = Phase::kDone;
  timer_.cancel();
  error_code ignored;
  socket_.close(ignored);
}

}  // namespace hotline::api::detail
