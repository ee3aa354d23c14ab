// sipload — a lean SIP load generator for the registrar benchmarks, where SIPp on
// these 2 cores cannot drive the rates we aim at. One thread, non-blocking UDP
// sockets, batched recvmmsg/sendmmsg, hotline's own parser and digest code.
//
// Scenario `register` is SIPp's register-digest.xml (../shared/bench/sipp): REGISTER
// → 401 → REGISTER with digest → 200, each registration a new Call-ID, users
// round-robin from a range. `options` is one OPTIONS → 200. Requests are
// retransmitted like SIPp's retrans="500" (500 ms, doubling); a transaction without
// its final answer after --timeout counts as failed.
//
//   sipload --server 127.0.0.1:5060 --scenario register --users 1001-1010
//           --password demo-{user} --rate 20000 --duration 10
//
// The password may contain {user}, replaced by the user name ("demo-{user}").
// Output: one line per second and a summary (attempted, succeeded, failed by
// reason, achieved rate, latency p50/p99/max from first send to final answer).
#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "../common/udp_batch.hpp"
#include "sip/digest.hpp"
#include "sip/message.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using hotline::sip::DigestChallenge;

struct Options {
  std::string server = "127.0.0.1:5060";
  std::string local_ip = "127.0.0.1";
  std::string scenario = "register";
  std::string users = "1001-1010";
  std::string password = "demo-{user}";
  std::string domain;  // default: the server's address
  double rate = 1000;  // new scenario runs per second
  double duration = 10;
  double timeout = 5;
  int sockets = 4;  // local ports the load comes from
  int max_in_flight = 200'000;
  int expires = 3600;
};

struct Transaction {
  int user = 0;
  int step = 0;  // register: 0 = waiting for 401, 1 = waiting for 200
  int socket = 0;
  Clock::time_point started;
  Clock::time_point next_retransmit;
  std::chrono::milliseconds retransmit_interval{500};
  std::string wire;  // what to retransmit
};

using hotline::bench::parse_address;

class Load {
 public:
  explicit Load(Options o) : o_(std::move(o)), server_(parse_address(o_.server)) {
    const auto dash = o_.users.find('-');
    first_user_ = std::stoi(o_.users.substr(0, dash));
    last_user_ = dash == std::string::npos ? first_user_ : std::stoi(o_.users.substr(dash + 1));
    if (last_user_ < first_user_) throw std::runtime_error("--users: empty range");
    if (o_.domain.empty()) o_.domain = o_.server.substr(0, o_.server.rfind(':'));
    for (int i = 0; i < o_.sockets; ++i) open_socket();
    run_id_ = std::random_device{}();
  }
  ~Load() {
    for (const Socket& s : sockets_) ::close(s.fd);
  }

  int run();

 private:
  struct Socket {
    int fd = -1;
    int port = 0;
  };

  void open_socket() {
    const hotline::bench::UdpSocket u = hotline::bench::open_udp_socket(o_.local_ip);
    sockets_.push_back(Socket{u.fd, u.port});
  }

  std::string user_name(int user) const { return std::to_string(user); }
  std::string password_of(const std::string& user) const {
    std::string p = o_.password;
    if (auto at = p.find("{user}"); at != std::string::npos) p.replace(at, 6, user);
    return p;
  }

  std::string request(std::uint64_t id, const Transaction& t, int cseq,
                      const std::string& authorization) const {
    const Socket& s = sockets_[static_cast<std::size_t>(t.socket)];
    const std::string user = user_name(t.user);
    if (o_.scenario == "options") {
      return fmt::format(
          "OPTIONS sip:{0} SIP/2.0\r\nVia: SIP/2.0/UDP {1}:{2};branch=z9hG4bK{3:x}-{4}\r\n"
          "From: <sip:load@{0}>;tag={4}\r\nTo: <sip:{0}>\r\nCall-ID: {3:x}-{4}@sipload\r\n"
          "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
          o_.domain, o_.local_ip, s.port, run_id_, id);
    }
    return fmt::format(
        "REGISTER sip:{0} SIP/2.0\r\nVia: SIP/2.0/UDP {1}:{2};branch=z9hG4bK{3:x}-{4}-{5}\r\n"
        "From: <sip:{6}@{0}>;tag={4}\r\nTo: <sip:{6}@{0}>\r\nCall-ID: {3:x}-{4}@sipload\r\n"
        "CSeq: {5} REGISTER\r\nContact: <sip:{6}@{1}:{2}>\r\nMax-Forwards: 70\r\n"
        "Expires: {7}\r\n{8}Content-Length: 0\r\n\r\n",
        o_.domain, o_.local_ip, s.port, run_id_, id, cseq, user, o_.expires, authorization);
  }

  void start_one(Clock::time_point now) {
    const std::uint64_t id = next_id_++;
    Transaction t;
    t.user = first_user_ +
             static_cast<int>(id % static_cast<std::uint64_t>(last_user_ - first_user_ + 1));
    t.socket = static_cast<int>(id % sockets_.size());
    t.started = now;
    t.next_retransmit = now + t.retransmit_interval;
    t.wire = request(id, t, 1, "");
    queue_send(t.socket, t.wire);
    live_.emplace(id, std::move(t));
    ++attempted_;
  }

  void queue_send(int socket, const std::string& wire) {
    pending_[static_cast<std::size_t>(socket)].push_back(wire);
  }

  void flush_sends() {
    for (std::size_t s = 0; s < sockets_.size(); ++s) {
      hotline::bench::send_batch(sockets_[s].fd, pending_[s], server_, send_errors_);
    }
  }

  void receive(std::size_t s, Clock::time_point now) {
    hotline::bench::receive_batches(
        sockets_[s].fd,
        [&](std::string_view bytes, const sockaddr_in&) { on_datagram(std::string(bytes), now); });
  }

  void on_datagram(std::string bytes, Clock::time_point now) {
    auto m = hotline::sip::parse_message(std::move(bytes));
    if (!m || !m->is_response()) {
      ++unparsable_;
      return;
    }
    if (m->status_code() < 200) return;  // provisional
    const std::string_view call_id = m->call_id();
    const auto dash = call_id.find('-');
    const auto at = call_id.find('@');
    if (dash == std::string_view::npos || at == std::string_view::npos) return;
    std::uint64_t id = 0;
    for (char c : call_id.substr(dash + 1, at - dash - 1))
      id = id * 10 + static_cast<unsigned>(c - '0');
    auto it = live_.find(id);
    if (it == live_.end()) {
      ++late_;
      return;  // a retransmission's answer after we finished
    }
    Transaction& t = it->second;
    const int status = m->status_code();
    const int expected_cseq = t.step + 1;
    if (static_cast<int>(m->cseq().number) != expected_cseq) return;  // answer to an earlier step
    if (o_.scenario == "register" && t.step == 0) {
      if (status != 401) return finish(it, now, fmt::format("first REGISTER got {}", status));
      auto header = m->header("WWW-Authenticate");
      if (!header) return finish(it, now, "401 without WWW-Authenticate");
      auto challenge = hotline::sip::parse_digest_challenge(*header);
      if (!challenge) return finish(it, now, "unparsable challenge");
      const std::string user = user_name(t.user);
      const std::string uri = "sip:" + o_.domain;
      auto auth = hotline::sip::digest_authorization(*challenge, user, password_of(user),
                                                     "REGISTER", uri, fmt::format("{:x}", id), 1);
      if (!auth) return finish(it, now, "cannot answer the challenge");
      t.step = 1;
      t.wire = request(id, t, 2, "Authorization: " + *auth + "\r\n");
      t.retransmit_interval = std::chrono::milliseconds(500);
      t.next_retransmit = now + t.retransmit_interval;
      queue_send(t.socket, t.wire);
      return;
    }
    if (status != 200) return finish(it, now, fmt::format("final answer {}", status));
    finish(it, now, "");
  }

  void finish(std::unordered_map<std::uint64_t, Transaction>::iterator it, Clock::time_point now,
              const std::string& failure) {
    if (failure.empty()) {
      ++succeeded_;
      ++succeeded_this_second_;
      latencies_us_.push_back(static_cast<std::uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(now - it->second.started).count()));
    } else {
      ++failures_[failure];
    }
    live_.erase(it);
  }

  void retransmit_and_expire(Clock::time_point now) {
    const auto timeout =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.timeout));
    for (auto it = live_.begin(); it != live_.end();) {
      Transaction& t = it->second;
      if (now - t.started > timeout) {
        ++failures_["timeout"];
        it = live_.erase(it);
        continue;
      }
      if (now >= t.next_retransmit) {
        queue_send(t.socket, t.wire);
        ++retransmissions_;
        t.retransmit_interval =
            std::min(t.retransmit_interval * 2, std::chrono::milliseconds(4000));
        t.next_retransmit = now + t.retransmit_interval;
      }
      ++it;
    }
  }

  Options o_;
  sockaddr_in server_;
  int first_user_ = 0;
  int last_user_ = 0;
  std::uint64_t run_id_ = 0;
  std::vector<Socket> sockets_;
  std::vector<std::vector<std::string>> pending_;
  std::unordered_map<std::uint64_t, Transaction> live_;
  std::uint64_t next_id_ = 0;
  std::uint64_t attempted_ = 0;
  std::uint64_t succeeded_ = 0;
  std::uint64_t succeeded_this_second_ = 0;
  std::uint64_t retransmissions_ = 0;
  std::uint64_t unparsable_ = 0;
  std::uint64_t late_ = 0;
  std::uint64_t send_errors_ = 0;
  std::map<std::string, std::uint64_t> failures_;
  std::vector<std::uint32_t> latencies_us_;
};

int Load::run() {
  pending_.resize(sockets_.size());
  std::vector<pollfd> fds;
  for (const Socket& s : sockets_) fds.push_back({s.fd, POLLIN, 0});
  const auto start = Clock::now();
  const auto load_end = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(o_.duration));
  auto next_report = start + std::chrono::seconds(1);
  auto last_sweep = start;
  double owed = 0;  // scenario runs due but not started yet
  auto last_tick = start;
  for (;;) {
    const auto now = Clock::now();
    if (now < load_end) {
      owed += o_.rate * std::chrono::duration<double>(now - last_tick).count();
      while (owed >= 1 && live_.size() < static_cast<std::size_t>(o_.max_in_flight)) {
        start_one(now);
        owed -= 1;
      }
      owed = std::min(owed, o_.rate);  // do not build an unbounded backlog
    } else if (live_.empty()) {
      break;
    }
    last_tick = now;
    flush_sends();
    ::poll(fds.data(), fds.size(), 1);
    const auto after = Clock::now();
    for (std::size_t s = 0; s < sockets_.size(); ++s) receive(s, after);
    if (after - last_sweep > std::chrono::milliseconds(50)) {
      retransmit_and_expire(after);
      last_sweep = after;
    }
    if (after >= next_report) {
      fmt::print(stderr, "t={:>4.0f}s  ok/s={:>7}  in-flight={:>6}  failed={}\n",
                 std::chrono::duration<double>(after - start).count(), succeeded_this_second_,
                 live_.size(), attempted_ - succeeded_ - live_.size());
      succeeded_this_second_ = 0;
      next_report += std::chrono::seconds(1);
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies_us_.begin(), latencies_us_.end());
  auto pct = [&](double p) -> double {
    if (latencies_us_.empty()) return 0;
    return latencies_us_[std::min(
               latencies_us_.size() - 1,
               static_cast<std::size_t>(p * static_cast<double>(latencies_us_.size())))] /
           1000.0;
  };
  std::uint64_t failed = 0;
  for (const auto& [why, n] : failures_) failed += n;
  fmt::print(
      "scenario={} attempted={} succeeded={} failed={} rate={:.0f}/s "
      "(offered {:.0f}/s for {:.0f}s) latency_ms p50={:.2f} p99={:.2f} max={:.2f} "
      "retransmissions={} late_answers={} unparsable={} send_errors={}\n",
      o_.scenario, attempted_, succeeded_, failed, static_cast<double>(succeeded_) / o_.duration,
      o_.rate, o_.duration, pct(0.5), pct(0.99), pct(1.0), retransmissions_, late_, unparsable_,
      send_errors_);
  for (const auto& [why, n] : failures_) fmt::print("  failed: {} x {}\n", n, why);
  (void)elapsed;
  return failed == 0 && send_errors_ == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"sipload — SIP load generator for hotline's benchmarks"};
  app.add_option("--server", o.server, "host:port of the server (IPv4)");
  app.add_option("--local", o.local_ip, "local IPv4 address to send from");
  app.add_option("--scenario", o.scenario, "register | options")
      ->check(CLI::IsMember({"register", "options"}));
  app.add_option("--users", o.users, "user range, e.g. 1001-1010");
  app.add_option("--password", o.password, "password; {user} is replaced by the user name");
  app.add_option("--domain", o.domain, "domain in the URIs (default: the server address)");
  app.add_option("--rate", o.rate, "scenario runs started per second")->check(CLI::PositiveNumber);
  app.add_option("--duration", o.duration, "seconds of load")->check(CLI::PositiveNumber);
  app.add_option("--timeout", o.timeout, "seconds before an unanswered run fails");
  app.add_option("--sockets", o.sockets, "local UDP ports to spread the load over")
      ->check(CLI::Range(1, 256));
  app.add_option("--max-in-flight", o.max_in_flight, "cap on unfinished runs");
  app.add_option("--expires", o.expires, "Expires of the REGISTERs");
  CLI11_PARSE(app, argc, argv);
  try {
    Load load(o);
    return load.run();
  } catch (const std::exception& e) {
    fmt::print(stderr, "sipload: {}\n", e.what());
    return 2;
  }
}
