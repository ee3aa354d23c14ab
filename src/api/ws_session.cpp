#include "api/ws_session.hpp"

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "common/log.hpp"

namespace hotline::api::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;

// How long a closing client gets to complete the close handshake before the
// socket is simply closed (it may have stopped reading altogether).
constexpr Duration kCloseGrace = std::chrono::seconds(2);

}  // namespace

WsSession::WsSession(asio::ip::tcp::socket socket, std::unique_ptr<ConnectionSlot> slot)
    : ws_(std::move(socket)),
      slot_(std::move(slot)),
      state_(slot_->state()),
      close_timer_(state_->ioc) {}

WsSession::~WsSession() {
  if (id_ != 0) state_->untrack(id_);
}

void WsSession::start(beast::http::request<beast::http::string_body> req) {
  id_ = state_->track(weak_from_this());
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = state_->options.request_timeout;
  timeouts.idle_timeout = state_->options.idle_timeout;
  timeouts.keep_alive_pings = true;  // a vanished client is noticed within idle_timeout
  ws_.set_option(timeouts);
  ws_.read_message_max(state_->options.ws_max_incoming_bytes);
  upgrade_ = std::move(req);
  ws_.async_accept(upgrade_, [self = shared_from_this()](error_code ec) { self->on_accept(ec); });
}

void WsSession::on_accept(error_code ec) {
  if (ec || state_->stopping) {
    finish();
    return;
  }
  upgrade_ = {};
  in_hub_ = true;
  state_->hub.add(id_, shared_from_this());
  read();
}

void WsSession::read() {
  ws_.async_read(read_buffer_, [self = shared_from_this()](error_code ec, std::size_t) {
    if (ec) {
      self->finish();  // closed by the client, timed out, or too large a message
      return;
    }
    // Clients have nothing to tell us yet; the stream is server-to-client.
    self->read_buffer_.clear();
    self->read();
  });
}

bool WsSession::enqueue(std::shared_ptr<const std::string> message) {
  if (closing_ || finished_) return true;
  if (queue_.size() >= state_->hub.max_queued_messages()) {
    log::warn("http", "websocket client too slow; disconnecting",
              {log::kv("queued", queue_.size())});
    in_hub_ = false;  // the hub removes it on seeing false
    begin_close(websocket::close_code::policy_error, "too slow");
    return false;
  }
  queue_.push_back(std::move(message));
  if (!writing_) write_next();
  return true;
}

void WsSession::write_next() {
  if (queue_.empty() || closing_ || finished_) {
    writing_ = false;
    return;
  }
  writing_ = true;
  ws_.text(true);
  ws_.async_write(asio::buffer(*queue_.front()),
                  [self = shared_from_this()](error_code ec, std::size_t) {
                    self->queue_.pop_front();
                    self->writing_ = false;
                    if (ec) {
                      self->finish();
                      return;
                    }
                    self->write_next();
                  });
}

void WsSession::shutdown() {
  begin_close(websocket::close_code::going_away, "server stopping");
}

void WsSession::begin_close(websocket::close_code code, const char* reason) {
  if (closing_ || finished_) return;
  closing_ = true;
  // Keep only the message being written (its buffer must outlive the write).
  if (writing_) {
    queue_.resize(1);
  } else {
    queue_.clear();
  }
  close_timer_.expires_after(kCloseGrace);
  close_timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (!ec) self->finish();
  });
  if (!ws_.is_open()) {  // handshake not done yet
    finish();
    return;
  }
  ws_.async_close(websocket::close_reason(code, reason),
                  [self = shared_from_this()](error_code) { self->finish(); });
}

void WsSession::finish() {
  if (finished_) return;
  finished_ = true;
  closing_ = true;
  if (in_hub_) {
    in_hub_ = false;
    state_->hub.remove(id_);
  }
  close_timer_.cancel();
  beast::get_lowest_layer(ws_).close();
}

}  // namespace hotline::api::detail
