#include "sip/transport.hpp"

#include <arpa/inet.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <deque>
#include <unordered_map>

#include "common/log.hpp"
#include "sip/framer.hpp"
#include "sip/stateless_response.hpp"

namespace hotline::sip {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

namespace {

constexpr std::string_view kLog = "sip.transport";

template <typename Endpoint>
sip::Endpoint to_endpoint(const Endpoint& ep) {
  return sip::Endpoint{ep.address().to_string(), ep.port()};
}

std::string_view label(TransportType t) {
  switch (t) {
    case TransportType::kUdp: return "udp";
    case TransportType::kTcp: return "tcp";
    case TransportType::kTls: return "tls";
  }
  return "udp";
}

}  // namespace

// Base of TCP and TLS connections: framing, dispatch, write queue, idle timeout.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(SipTransport::Impl& owner, std::uint64_t id, Peer peer)
      : owner_(owner), id_(id), peer_(std::move(peer)) {}
  virtual ~Connection() = default;

  std::uint64_t id() const { return id_; }
  const Peer& peer() const { return peer_; }
  bool closed() const { return closed_; }

  void write(std::string bytes);
  void close();

 protected:
  virtual void async_read(asio::mutable_buffer buf,
                          std::function<void(boost::system::error_code, std::size_t)> done) = 0;
  virtual void async_write(const std::string& bytes,
                           std::function<void(boost::system::error_code, std::size_t)> done) = 0;
  virtual void shutdown() = 0;
  virtual asio::any_io_executor executor() = 0;

  void start_reading();
  void ready();  // connected (and handshaken): flush queued writes, start reading

  SipTransport::Impl& owner_;
  std::uint64_t id_;
  Peer peer_;
  bool closed_ = false;
  bool connected_ = false;

 private:
  void on_read(boost::system::error_code ec, std::size_t n);
  void write_next();
  void touch();

  std::array<char, 16 * 1024> chunk_{};
  std::string pending_;
  StreamFramer framer_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool closed_after_flush_ = false;  // an error answer is on its way; then close
  std::unique_ptr<asio::steady_timer> idle_;
  friend class SipTransport::Impl;
};

class SipTransport::Impl {
 public:
  Impl(asio::io_context& loop, TransportOptions options, MetricsRegistry& metrics)
      : loop_(loop),
        options_(std::move(options)),
        parse_errors_(metrics.counter("hotline_sip_parse_errors_total",
                                      "SIP messages refused by the parser")),
        send_errors_(metrics.counter("hotline_sip_send_errors_total", "SIP sends that failed")),
        refused_(metrics.counter("hotline_sip_connections_refused_total",
                                 "Stream connections refused by a cap")),
        connections_(metrics.gauge("hotline_sip_connections", "Open SIP stream connections")) {
    for (TransportType t : {TransportType::kUdp, TransportType::kTcp, TransportType::kTls}) {
      const Labels l{{"transport", std::string(label(t))}};
      received_[static_cast<int>(t)] =
          &metrics.counter("hotline_sip_messages_received_total", "SIP messages received", l);
      sent_[static_cast<int>(t)] =
          &metrics.counter("hotline_sip_messages_sent_total", "SIP messages sent", l);
    }
  }

  // Datagrams are read kBatch at a time with recvmmsg(2) once the socket is
  // readable, and the answers they cause are sent together with sendmmsg(2) when
  // the batch is done: two system calls per batch instead of two per message.
  static constexpr std::size_t kBatch = 32;
  struct UdpListener {
    explicit UdpListener(asio::io_context& loop) : socket(loop) {}
    udp::socket socket;
    std::vector<char> buffer;  // kBatch slots of slot_size bytes
    std::size_t slot_size = 0;
    std::array<sockaddr_storage, kBatch> from{};
    std::array<iovec, kBatch> iov{};
    std::array<mmsghdr, kBatch> msgs{};
    sip::Endpoint local;
  };
  struct OutgoingDatagram {
    UdpListener* via = nullptr;
    sockaddr_storage to{};
    socklen_t to_len = 0;
    std::string bytes;
  };
  struct StreamListener {
    StreamListener(asio::io_context& loop, TransportType t) : acceptor(loop), transport(t) {}
    tcp::acceptor acceptor;
    TransportType transport;
    sip::Endpoint local;
  };

  Status listen(TransportType t, const std::string& address, std::uint16_t port);
  void send(const Peer& to, std::string bytes);
  void stop();

  // Called by connections and listeners.
  void dispatch(std::string bytes, const Peer& from, Framing framing,
                const std::function<void(std::string)>& reply);
  void on_closed(Connection& c);
  const TransportOptions& options() const { return options_; }
  asio::ssl::context* tls() { return tls_ ? &*tls_ : nullptr; }
  void count_sent(TransportType t) { sent_[static_cast<int>(t)]->inc(); }
  void count_send_error() { send_errors_.inc(); }
  void report_failure(const Peer& peer) {
    if (failure_handler_) failure_handler_(peer);
  }

  SipTransport::MessageHandler handler_;
  SipTransport::FailureHandler failure_handler_;
  std::vector<std::unique_ptr<UdpListener>> udp_;
  std::vector<std::unique_ptr<StreamListener>> streams_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Connection>> connections_by_id_;

 private:
  void receive(UdpListener& l);
  void read_datagrams(UdpListener& l);
  void send_datagram(UdpListener& via, const sockaddr_storage& to, socklen_t len,
                     std::string bytes);
  void flush_datagrams();
  void accept(StreamListener& l);
  bool admit(const sip::Endpoint& remote);
  void connect_out(const Peer& to, std::string bytes);

  asio::io_context& loop_;
  TransportOptions options_;
  std::optional<asio::ssl::context> tls_;
  std::unordered_map<std::string, std::size_t> per_source_;
  bool batching_ = false;  // inside read_datagrams: UDP sends wait for flush_datagrams()
  std::vector<OutgoingDatagram> outgoing_;
  std::uint64_t next_id_ = 1;
  bool stopped_ = false;
  Counter& parse_errors_;
  Counter& send_errors_;
  Counter& refused_;
  Gauge& connections_;
  std::array<Counter*, 3> received_{};
  std::array<Counter*, 3> sent_{};
};

namespace {

template <typename Stream>
class StreamConnection final : public Connection {
 public:
  template <typename... Args>
  StreamConnection(SipTransport::Impl& owner, std::uint64_t id, Peer peer, Args&&... args)
      : Connection(owner, id, std::move(peer)), stream_(std::forward<Args>(args)...) {}

  Stream& stream() { return stream_; }
  tcp::socket& socket() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      return stream_;
    } else {
      return stream_.next_layer();
    }
  }

  void start_server() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      ready();
    } else {
      auto self = std::static_pointer_cast<StreamConnection>(shared_from_this());
      stream_.async_handshake(asio::ssl::stream_base::server, [self](boost::system::error_code ec) {
        if (self->closed()) return;
        if (ec) {
          log::debug(
              kLog, "TLS handshake failed",
              {log::kv("peer", self->peer().remote.to_string()), log::kv("error", ec.message())});
          self->close();
          return;
        }
        self->ready();
      });
    }
  }

  void start_client(const tcp::endpoint& remote) {
    auto self = std::static_pointer_cast<StreamConnection>(shared_from_this());
    socket().async_connect(remote, [self](boost::system::error_code ec) {
      if (self->closed()) return;
      if (ec) {
        log::warn(
            kLog, "connect failed",
            {log::kv("peer", self->peer().remote.to_string()), log::kv("error", ec.message())});
        const Peer peer = self->peer();
        self->close();
        self->owner_.report_failure(peer);
        return;
      }
      boost::system::error_code ignored;
      self->peer_.local = to_endpoint(self->socket().local_endpoint(ignored));
      self->ready();
    });
  }

 protected:
  void async_read(asio::mutable_buffer buf,
                  std::function<void(boost::system::error_code, std::size_t)> done) override {
    stream_.async_read_some(buf, std::move(done));
  }
  void async_write(const std::string& bytes,
                   std::function<void(boost::system::error_code, std::size_t)> done) override {
    asio::async_write(stream_, asio::buffer(bytes), std::move(done));
  }
  void shutdown() override {
    boost::system::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }
  asio::any_io_executor executor() override { return socket().get_executor(); }

 private:
  Stream stream_;
};

using TcpConnection = StreamConnection<tcp::socket>;
using TlsConnection = StreamConnection<asio::ssl::stream<tcp::socket>>;

}  // namespace

void Connection::ready() {
  connected_ = true;
  idle_ = std::make_unique<asio::steady_timer>(executor());
  touch();
  write_next();
  start_reading();
}

void Connection::touch() {
  if (!idle_) return;
  idle_->expires_after(owner_.options().idle_timeout);
  idle_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->closed()) return;
    log::debug(kLog, "closing idle connection", {log::kv("peer", self->peer().remote.to_string())});
    self->close();
  });
}

void Connection::start_reading() {
  async_read(asio::buffer(chunk_),
             [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
               self->on_read(ec, n);
             });
}

void Connection::on_read(boost::system::error_code ec, std::size_t n) {
  if (closed_) return;
  if (ec) {
    close();
    return;
  }
  touch();
  pending_.append(chunk_.data(), n);
  const Framing framing = Framing::kStream;
  while (!closed_) {
    const Frame f = framer_.next(pending_);
    if (f.status == FrameStatus::kNeedMore) break;
    if (f.status == FrameStatus::kKeepAlive) {
      if (f.length >= 4) write("\r\n");  // RFC 5626 §3.5.1: CRLFCRLF ping, CRLF pong
      pending_.erase(0, f.length);
      continue;
    }
    if (f.status == FrameStatus::kError) {
      auto self = shared_from_this();
      if (f.error.status != 0) {
        if (auto reply = stateless_error_response(pending_, f.error.status, f.error.reason)) {
          write(std::move(*reply));
        }
      }
      log::info(kLog, "closing unframeable stream",
                {log::kv("peer", peer_.remote.to_string()), log::kv("reason", f.error.reason)});
      owner_.dispatch({}, peer_, framing, nullptr);  // counts the error
      closed_after_flush_ = true;
      pending_.clear();
      if (!writing_) close();
      return;
    }
    std::string bytes = pending_.substr(0, f.length);
    pending_.erase(0, f.length);
    auto self = shared_from_this();
    owner_.dispatch(std::move(bytes), peer_, framing,
                    [self](std::string reply) { self->write(std::move(reply)); });
  }
  if (!closed_) start_reading();
}

void Connection::write(std::string bytes) {
  if (closed_) return;
  queued_bytes_ += bytes.size();
  if (queued_bytes_ > owner_.options().max_send_queue_bytes) {
    log::warn(kLog, "send queue over its cap; closing connection",
              {log::kv("peer", peer_.remote.to_string())});
    owner_.count_send_error();
    close();
    return;
  }
  queue_.push_back(std::move(bytes));
  if (connected_) write_next();
}

void Connection::write_next() {
  if (writing_ || queue_.empty() || closed_) return;
  writing_ = true;
  async_write(queue_.front(),
              [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                self->writing_ = false;
                if (self->closed_) return;
                if (ec) {
                  self->owner_.count_send_error();
                  const Peer peer = self->peer_;
                  self->close();
                  self->owner_.report_failure(peer);
                  return;
                }
                self->owner_.count_sent(self->peer_.transport);
                self->queued_bytes_ -= self->queue_.front().size();
                self->queue_.pop_front();
                if (self->queue_.empty() && self->closed_after_flush_) {
                  self->close();
                  return;
                }
                self->write_next();
              });
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  if (idle_) idle_->cancel();
  shutdown();
  owner_.on_closed(*this);
}

Status SipTransport::Impl::listen(TransportType t, const std::string& address, std::uint16_t port) {
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec)
    return fail(ErrorCode::kInvalidArgument, fmt::format("'{}' is not an IP address", address));
  const std::string where =
      fmt::format("{} {}", label(t), sip::Endpoint{address, port}.to_string());
  auto in_use = [&](const boost::system::error_code& e) {
    if (e == asio::error::address_in_use)
      return fail(ErrorCode::kUnavailable, fmt::format("SIP {} is already in use", where));
    return fail(ErrorCode::kIo, fmt::format("cannot listen on SIP {}: {}", where, e.message()));
  };

  if (t == TransportType::kUdp) {
    auto l = std::make_unique<UdpListener>(loop_);
    const udp::endpoint ep(ip, port);
    l->socket.open(ep.protocol(), ec);
    if (!ec) l->socket.bind(ep, ec);
    if (ec) return in_use(ec);
    // Large kernel buffers absorb REGISTER storms while the loop is busy.
    l->socket.set_option(asio::socket_base::receive_buffer_size(4 << 20), ec);
    l->socket.set_option(asio::socket_base::send_buffer_size(4 << 20), ec);
    l->socket.non_blocking(true, ec);
    l->local = to_endpoint(l->socket.local_endpoint(ec));
    // One byte over the limit tells an oversized datagram from one at the limit.
    l->slot_size = options_.limits.max_message_size + 1;
    l->buffer.resize(kBatch * l->slot_size);
    receive(*l);
    udp_.push_back(std::move(l));
    return {};
  }

  if (t == TransportType::kTls && !tls_) {
    try {
      asio::ssl::context ctx(asio::ssl::context::tls_server);
      ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1);
      ctx.use_certificate_chain_file(options_.tls_certificate);
      ctx.use_private_key_file(options_.tls_private_key, asio::ssl::context::pem);
      tls_.emplace(std::move(ctx));
    } catch (const boost::system::system_error& e) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("TLS certificate '{}' or key '{}' unusable: {}",
                              options_.tls_certificate, options_.tls_private_key, e.what()));
    }
  }
  auto l = std::make_unique<StreamListener>(loop_, t);
  const tcp::endpoint ep(ip, port);
  l->acceptor.open(ep.protocol(), ec);
  if (!ec) l->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) l->acceptor.bind(ep, ec);
  if (!ec) l->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return in_use(ec);
  l->local = to_endpoint(l->acceptor.local_endpoint(ec));
  accept(*l);
  streams_.push_back(std::move(l));
  return {};
}

namespace {

sip::Endpoint to_endpoint(const sockaddr_storage& a) {
  char text[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET6) {
    sockaddr_in6 v6;
    std::memcpy(&v6, &a, sizeof v6);
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
    return sip::Endpoint{text, ntohs(v6.sin6_port)};
  }
  sockaddr_in v4;
  std::memcpy(&v4, &a, sizeof v4);
  inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
  return sip::Endpoint{text, ntohs(v4.sin_port)};
}

}  // namespace

void SipTransport::Impl::receive(UdpListener& l) {
  l.socket.async_wait(udp::socket::wait_read, [this, &l](boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted || stopped_) return;
    if (!ec) read_datagrams(l);
    if (!stopped_) receive(l);
  });
}

void SipTransport::Impl::read_datagrams(UdpListener& l) {
  // Drain what is queued, but give other work on the loop a turn after a while.
  constexpr int kMaxBatches = 8;
  batching_ = true;
  for (int round = 0; round < kMaxBatches && !stopped_; ++round) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      l.iov[i] = {l.buffer.data() + i * l.slot_size, l.slot_size};
      l.msgs[i] = {};
      l.msgs[i].msg_hdr.msg_iov = &l.iov[i];
      l.msgs[i].msg_hdr.msg_iovlen = 1;
      l.msgs[i].msg_hdr.msg_name = &l.from[i];
      l.msgs[i].msg_hdr.msg_namelen = sizeof l.from[i];
    }
    const int n =
        ::recvmmsg(l.socket.native_handle(), l.msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) break;  // EAGAIN: drained (errors such as ICMP refusals are not ours)
    for (int i = 0; i < n && !stopped_; ++i) {
      const auto k = static_cast<std::size_t>(i);
      const char* data = l.buffer.data() + k * l.slot_size;
      const std::size_t size = l.msgs[k].msg_len;
      const sockaddr_storage reply_to = l.from[k];
      const socklen_t reply_len = l.msgs[k].msg_hdr.msg_namelen;
      Peer from{TransportType::kUdp, to_endpoint(reply_to), l.local, 0};
      dispatch(std::string(data, size), from, Framing::kDatagram,
               [this, &l, reply_to, reply_len](std::string reply) {
                 send_datagram(l, reply_to, reply_len, std::move(reply));
               });
    }
    if (static_cast<std::size_t>(n) < kBatch) break;
  }
  batching_ = false;
  flush_datagrams();
}

void SipTransport::Impl::send_datagram(UdpListener& via, const sockaddr_storage& to, socklen_t len,
                                       std::string bytes) {
  outgoing_.push_back(OutgoingDatagram{&via, to, len, std::move(bytes)});
  if (!batching_ || outgoing_.size() >= 4 * kBatch) flush_datagrams();
}

void SipTransport::Impl::flush_datagrams() {
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iov{};
  std::size_t done = 0;
  while (done < outgoing_.size()) {
    // One sendmmsg per run of datagrams leaving through the same socket.
    UdpListener* via = outgoing_[done].via;
    std::size_t n = 0;
    while (n < kBatch && done + n < outgoing_.size() && outgoing_[done + n].via == via) {
      OutgoingDatagram& d = outgoing_[done + n];
      iov[n] = {d.bytes.data(), d.bytes.size()};
      msgs[n] = {};
      msgs[n].msg_hdr.msg_iov = &iov[n];
      msgs[n].msg_hdr.msg_iovlen = 1;
      msgs[n].msg_hdr.msg_name = &d.to;
      msgs[n].msg_hdr.msg_namelen = d.to_len;
      ++n;
    }
    const int sent = ::sendmmsg(via->socket.native_handle(), msgs.data(), static_cast<unsigned>(n),
                                MSG_DONTWAIT);
    if (sent <= 0) {
      // The first datagram failed (full buffer, unreachable): count it, go on.
      count_send_error();
      done += 1;
      continue;
    }
    sent_[static_cast<int>(TransportType::kUdp)]->inc(static_cast<std::uint64_t>(sent));
    done += static_cast<std::size_t>(sent);
  }
  outgoing_.clear();
}

bool SipTransport::Impl::admit(const sip::Endpoint& remote) {
  if (connections_by_id_.size() >= options_.max_connections) return false;
  return per_source_[remote.address] < options_.max_connections_per_source;
}

void SipTransport::Impl::accept(StreamListener& l) {
  l.acceptor.async_accept([this, &l](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || stopped_) return;
    if (!ec) {
      boost::system::error_code e;
      const sip::Endpoint remote = to_endpoint(socket.remote_endpoint(e));
      if (e || !admit(remote)) {
        refused_.inc();
        log::warn(kLog, "connection refused: over the connection cap",
                  {log::kv("peer", remote.to_string())});
        socket.close(e);
      } else {
        socket.set_option(tcp::no_delay(true), e);
        const std::uint64_t id = next_id_++;
        Peer peer{l.transport, remote, l.local, id};
        ++per_source_[remote.address];
        connections_.add(1);
        if (l.transport == TransportType::kTls) {
          auto c = std::make_shared<TlsConnection>(*this, id, peer, std::move(socket), *tls_);
          connections_by_id_[id] = c;
          c->start_server();
        } else {
          auto c = std::make_shared<TcpConnection>(*this, id, peer, std::move(socket));
          connections_by_id_[id] = c;
          c->start_server();
        }
      }
    }
    accept(l);
  });
}

void SipTransport::Impl::dispatch(std::string bytes, const Peer& from, Framing framing,
                                  const std::function<void(std::string)>& reply) {
  if (bytes.empty()) {  // a stream error already answered by the connection
    parse_errors_.inc();
    return;
  }
  // Datagrams of only CRLF are keep-alives (RFC 5626 §4.4.1): ignore.
  if (framing == Framing::kDatagram && bytes.find_first_not_of("\r\n") == std::string::npos) return;
  ParseOptions opts = options_.limits;
  opts.framing = framing;
  const std::string_view raw = bytes;
  const bool oversized = framing == Framing::kDatagram && bytes.size() > opts.max_message_size;
  if (oversized) {
    parse_errors_.inc();
    if (auto r = stateless_error_response(raw.substr(0, opts.max_message_size), 513,
                                          "message too large"))
      reply(std::move(*r));
    return;
  }
  // The parser takes the buffer; a refusal is answered from the header section
  // alone, so only that is kept (bodies are not copied on the hot path).
  const std::string copy_for_error(raw.substr(0, raw.find("\r\n\r\n")));
  auto parsed = parse_message(std::move(bytes), opts);
  if (!parsed) {
    parse_errors_.inc();
    log::debug(kLog, "refused message",
               {log::kv("peer", from.remote.to_string()), log::kv("status", parsed.error().status),
                log::kv("reason", parsed.error().reason)});
    if (parsed.error().status != 0 && reply) {
      if (auto r = stateless_error_response(copy_for_error, parsed.error().status,
                                            parsed.error().reason))
        reply(std::move(*r));
    }
    return;
  }
  received_[static_cast<int>(from.transport)]->inc();
  if (handler_) handler_(std::move(*parsed), from);
}

void SipTransport::Impl::send(const Peer& to, std::string bytes) {
  if (stopped_) return;
  if (to.transport == TransportType::kUdp) {
    boost::system::error_code ec;
    const auto ip = asio::ip::make_address(to.remote.address, ec);
    if (ec) {
      count_send_error();
      return;
    }
    UdpListener* via = nullptr;
    for (auto& l : udp_) {
      if (l->local == to.local) via = l.get();
    }
    if (!via) {
      for (auto& l : udp_) {
        if ((l->socket.local_endpoint(ec).address().is_v6()) == ip.is_v6()) {
          via = l.get();
          break;
        }
      }
    }
    if (!via) {
      count_send_error();
      log::warn(kLog, "no UDP listener to send from", {log::kv("to", to.remote.to_string())});
      return;
    }
    const udp::endpoint dest(ip, to.remote.port);
    sockaddr_storage addr{};
    const auto len = static_cast<socklen_t>(dest.size());
    std::memcpy(&addr, dest.data(), dest.size());
    send_datagram(*via, addr, len, std::move(bytes));
    return;
  }
  if (to.connection_id != 0) {
    if (auto it = connections_by_id_.find(to.connection_id); it != connections_by_id_.end()) {
      it->second->write(std::move(bytes));
      return;
    }
  }
  for (auto& [id, c] : connections_by_id_) {
    if (c->peer().transport == to.transport && c->peer().remote == to.remote) {
      c->write(std::move(bytes));
      return;
    }
  }
  connect_out(to, std::move(bytes));
}

void SipTransport::Impl::connect_out(const Peer& to, std::string bytes) {
  if (to.transport == TransportType::kTls) {
    // Outbound TLS (to carriers) needs certificate verification settings: not yet.
    count_send_error();
    log::warn(kLog, "no TLS connection to peer; outbound TLS is not supported yet",
              {log::kv("to", to.remote.to_string())});
    return;
  }
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(to.remote.address, ec);
  if (ec || !admit(to.remote)) {
    count_send_error();
    return;
  }
  const std::uint64_t id = next_id_++;
  Peer peer{TransportType::kTcp, to.remote, {}, id};
  auto c = std::make_shared<TcpConnection>(*this, id, peer, tcp::socket(loop_));
  connections_by_id_[id] = c;
  ++per_source_[to.remote.address];
  connections_.add(1);
  c->write(std::move(bytes));
  c->start_client(tcp::endpoint(ip, to.remote.port));
}

void SipTransport::Impl::on_closed(Connection& c) {
  auto it = per_source_.find(c.peer().remote.address);
  if (it != per_source_.end() && --it->second == 0) per_source_.erase(it);
  connections_.add(-1);
  // Erase last: `c` may be owned only by this map (handlers hold their own refs).
  auto keep = connections_by_id_.find(c.id());
  if (keep != connections_by_id_.end()) {
    auto hold = std::move(keep->second);
    connections_by_id_.erase(keep);
    asio::post(loop_, [hold] {});  // destroy after the current handler returns
  }
}

void SipTransport::Impl::stop() {
  if (stopped_) return;
  flush_datagrams();
  stopped_ = true;
  boost::system::error_code ec;
  for (auto& l : udp_) l->socket.close(ec);
  for (auto& l : streams_) l->acceptor.close(ec);
  std::vector<std::shared_ptr<Connection>> all;
  for (auto& [id, c] : connections_by_id_) all.push_back(c);
  for (auto& c : all) c->close();
}

SipTransport::SipTransport(asio::io_context& loop, TransportOptions options,
                           MetricsRegistry& metrics)
    : impl_(std::make_unique<Impl>(loop, std::move(options), metrics)) {}

SipTransport::~SipTransport() {
  stop();
}

void SipTransport::set_failure_handler(FailureHandler handler) {
  impl_->failure_handler_ = std::move(handler);
}

void SipTransport::set_handler(MessageHandler handler) {
  impl_->handler_ = std::move(handler);
}

Status SipTransport::listen(TransportType t, const std::string& address, std::uint16_t port) {
  return impl_->listen(t, address, port);
}

std::vector<Peer> SipTransport::listeners() const {
  std::vector<Peer> out;
  for (const auto& l : impl_->udp_) out.push_back(Peer{TransportType::kUdp, {}, l->local, 0});
  for (const auto& l : impl_->streams_) out.push_back(Peer{l->transport, {}, l->local, 0});
  return out;
}

void SipTransport::send(const Peer& to, std::string bytes) {
  impl_->send(to, std::move(bytes));
}

std::size_t SipTransport::connection_count() const {
  return impl_->connections_by_id_.size();
}

void SipTransport::stop() {
  impl_->stop();
}

}  // namespace hotline::sip
