// Internal: one WebSocket client of the hub. Accepts the upgrade, keeps a bounded
// queue of outgoing text messages, reads (and discards) what the client sends so
// control frames are answered, and closes with a deadline so a client that stopped
// reading cannot hold the connection open.
//
// Thread-safety: none; all handlers run on the server's io_context thread.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <deque>
#include <memory>
#include <string>

#include "api/server_state.hpp"

namespace hotline::api::detail {

class WsSession : public Closeable, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(boost::asio::ip::tcp::socket socket, std::unique_ptr<ConnectionSlot> slot);
  ~WsSession() override;

  // REQUIRES: `req` is a WebSocket upgrade request.
  void start(boost::beast::http::request<boost::beast::http::string_body> req);
  // Queues one message. Returns false when the queue is full: the client is then
  // being closed with 1008 and must be removed from the hub by the caller.
  bool enqueue(std::shared_ptr<const std::string> message);
  void shutdown() override;

 private:
  void on_accept(boost::system::error_code ec);
  void read();
  void write_next();
  void begin_close(boost::beast::websocket::close_code code, const char* reason);
  void finish();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  std::unique_ptr<ConnectionSlot> slot_;
  std::shared_ptr<ServerState> state_;
  boost::asio::steady_timer close_timer_;
  boost::beast::http::request<boost::beast::http::string_body> upgrade_;
  boost::beast::flat_buffer read_buffer_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::uint64_t id_ = 0;
  bool in_hub_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
};

}  // namespace hotline::api::detail
