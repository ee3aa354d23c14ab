// Internal: one HTTP/1.x connection. Reads requests with Beast's parser under the
// header/body caps, dispatches them (router, built-ins, static files), writes the
// answer, and keeps the connection alive or closes it.
//
// Invariants:
//  1. One steady timer bounds every wait: the whole request (request_timeout), the
//     keep-alive gap (idle_timeout), writing the answer (request_timeout) and the
//     lingering close after an error.
//  2. After an error answer (4xx/5xx on a broken request) the connection is closed:
//     the send side is shut and unread input is drained briefly so the peer sees
//     the answer instead of a reset.
//
// Thread-safety: none; all handlers run on the server's io_context thread.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <memory>
#include <optional>

#include "api/server_state.hpp"

namespace hotline::api::detail {

class HttpSession : public Closeable, public std::enable_shared_from_this<HttpSession> {
 public:
  // `slot` is null for a connection over the cap that will only be told 503.
  HttpSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<ServerState> state,
              std::unique_ptr<ConnectionSlot> slot);
  ~HttpSession() override;

  void start();
  void start_reject();
  void shutdown() override;

 private:
  enum class Phase { kIdle, kReading, kWriting, kDraining, kDone };

  void arm(Duration d);
  void on_timer();
  void wait_for_request();
  void read_header();
  void on_header(boost::system::error_code ec);
  void read_body();
  // True (and the error handled) when a read ended the request: the session is
  // done, the read failed, or the request timer fired meanwhile.
  bool read_failed(boost::system::error_code ec);
  void on_body(boost::system::error_code ec);
  void on_read_error(boost::system::error_code ec);
  void handle();
  void upgrade_to_websocket();
  Response dispatch(const Request& req);
  void send(Response r, unsigned version, bool keep_alive, bool head);
  bool send_static(const Request& req, unsigned version, bool keep_alive, bool head);
  void send_error(int status, std::string_view code, std::string_view message);
  template <class Message>
  void write(std::shared_ptr<Message> msg);
  void on_written(boost::system::error_code ec, bool close);
  void next_request();
  void linger_close();
  void drain();
  void close_now();

  boost::asio::ip::tcp::socket socket_;
  std::shared_ptr<ServerState> state_;
  std::unique_ptr<ConnectionSlot> slot_;
  boost::asio::steady_timer timer_;
  std::uint64_t timer_generation_ = 0;
  std::uint64_t track_id_ = 0;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::shared_ptr<void> in_flight_;  // the response being written
  Phase phase_ = Phase::kReading;
  bool timed_out_ = false;
  bool stopping_ = false;
  bool reject_ = false;
  std::size_t drained_ = 0;
  std::array<char, 4096> drain_buf_{};
};

}  // namespace hotline::api::detail
