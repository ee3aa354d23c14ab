// callload — a lean call load generator for the call set-up benchmarks
// (docs/benchmarks.md, "Call set-up rate"), where SIPp on these 2 cores would take
// as much CPU as the server it measures. One thread, non-blocking UDP sockets,
// batched recvmmsg/sendmmsg, a timer wheel, a hand-rolled header scan (only what a
// UA needs: Call-ID, CSeq, To tag, Contact, the challenge) and hotline's digest code.
//
// Scenarios:
//   ivr  — SIPp's call-server-hangs-up.xml (../shared/bench/sipp): INVITE (PCMU) from
//          a trunk address (no digest) → 200 → ACK; hotline plays its prompt and
//          sends BYE → 200. A call counts only if the BYE came at least --min-hold ms
//          after the answer (the prompt was really played). With --hangup caller
//          the load generator sends BYE itself after --hold ms.
//   ext  — extension to extension: a caller extension INVITEs, answers the 401 with
//          its digest (SIPp's caller-invite-auth.xml; --auth reuse instead reuses the
//          last nonce with a growing nonce-count, as some phones do), and reaches a
//          callee extension that this program registered and plays too: the callee
//          answers 180 + 200 with SDP; the caller ACKs, holds --hold ms, BYEs → 200.
//
// Requests are retransmitted like SIPp's retrans="500" (500 ms, doubling, 4 s cap);
// a call not finished after --timeout counts as failed. RTP hotline sends goes to
// one sink socket that is never read (the kernel drops it; no ICMP).
//
//   callload --scenario ivr --server 127.0.0.1:5060 --local 127.0.0.2 --number 500
//            --rate 300 --duration 60 --min-hold 900
//   callload --scenario ext --server 127.0.0.1:5060 --callers 1001-1050
//            --callees 2001-2050 --password bench-{user} --rate 1000 --hold 1000
//
// Output: one line per second and a summary (attempted, succeeded, failed by reason,
// rate, set-up latency INVITE → 200 p50/p99/max, answer → BYE p50).
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
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../common/udp_batch.hpp"
#include "sip/digest.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Options {
  std::string scenario = "ivr";
  std::string server = "127.0.0.1:5060";
  std::string local_ip = "127.0.0.2";   // callers (ivr: the trunk's address)
  std::string callee_ip = "127.0.0.1";  // ext: the callees' phones
  std::string number = "500";           // ivr: the dialled number
  std::string callers = "1001-1050";
  std::string callees = "2001-2050";
  std::string password = "bench-{user}";
  std::string domain;  // default: the server's address
  std::string hangup = "server";
  std::string auth = "per-call";  // ext: answer each call's 401 | reuse the nonce
  double rate = 100;
  double duration = 10;
  double timeout = 32;
  int hold_ms = 1000;
  int min_hold_ms = 0;
  int sockets = 4;
  int max_in_flight = 100'000;
};

using hotline::bench::parse_address;

std::pair<int, int> parse_range(const std::string& text) {
  const auto dash = text.find('-');
  const int first = std::stoi(text.substr(0, dash));
  const int last = dash == std::string::npos ? first : std::stoi(text.substr(dash + 1));
  if (last < first) throw std::runtime_error("empty range: " + text);
  return {first, last};
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// What a UA needs from a SIP message: views into the datagram.
struct Scan {
  bool request = false;
  std::string_view method;  // requests
  int status = 0;           // responses
  std::string_view call_id, cseq_method, to_tag, contact_uri, challenge;
  std::uint32_t cseq = 0;
  // Whole header lines, to copy into a response.
  std::vector<std::string_view> vias;
  std::string_view from_line, to_line, call_id_line, cseq_line;
};

bool scan(std::string_view m, Scan& s) {
  s = Scan{};
  auto eol = m.find("\r\n");
  if (eol == std::string_view::npos) return false;
  const std::string_view first = m.substr(0, eol);
  if (first.starts_with("SIP/2.0 ")) {
    if (first.size() < 11) return false;
    s.status = std::atoi(std::string(first.substr(8, 3)).c_str());
  } else {
    s.request = true;
    s.method = first.substr(0, first.find(' '));
  }
  std::size_t pos = eol + 2;
  while (pos < m.size()) {
    eol = m.find("\r\n", pos);
    if (eol == std::string_view::npos || eol == pos) break;
    const std::string_view line = m.substr(pos, eol - pos);
    pos = eol + 2;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "via") || iequals(name, "v")) {
      s.vias.push_back(line);
    } else if (iequals(name, "from") || iequals(name, "f")) {
      s.from_line = line;
    } else if (iequals(name, "to") || iequals(name, "t")) {
      s.to_line = line;
      if (auto t = value.find(";tag="); t != std::string_view::npos) {
        std::string_view tag = value.substr(t + 5);
        s.to_tag = tag.substr(0, tag.find_first_of(";>, "));
      }
    } else if (iequals(name, "call-id") || iequals(name, "i")) {
      s.call_id_line = line;
      s.call_id = value;
    } else if (iequals(name, "cseq")) {
      s.cseq_line = line;
      const auto sp = value.find(' ');
      s.cseq = static_cast<std::uint32_t>(std::atoi(std::string(value.substr(0, sp)).c_str()));
      s.cseq_method = sp == std::string_view::npos ? "" : trim(value.substr(sp + 1));
    } else if (iequals(name, "contact") || iequals(name, "m")) {
      const auto lt = value.find('<');
      const auto gt = value.find('>');
      s.contact_uri = lt != std::string_view::npos && gt != std::string_view::npos && gt > lt
                          ? value.substr(lt + 1, gt - lt - 1)
                          : value.substr(0, value.find(';'));
    } else if (iequals(name, "www-authenticate") || iequals(name, "proxy-authenticate")) {
      s.challenge = value;
    }
  }
  return !s.call_id.empty() && !s.cseq_line.empty();
}

// A hashed timer wheel: 1 ms slots, 8192 of them; an entry further than a turn
// away stays in its slot and is looked at again on the next turn.
class TimerWheel {
 public:
  struct Entry {
    std::uint64_t call;
    std::uint32_t generation;  // 0: the call's overall timeout
    Clock::time_point due;
  };
  explicit TimerWheel(Clock::time_point now) : now_(now) {}
  void add(std::uint64_t call, std::uint32_t generation, Clock::time_point due) {
    const auto tick = ticks(std::max(due, now_));
    slots_[tick % kSlots].push_back(Entry{call, generation, due});
  }
  // Calls fire(entry) for every entry due by `now`.
  template <typename F>
  void advance(Clock::time_point now, F&& fire) {
    const auto target = ticks(now);
    for (auto t = ticks(now_); t <= target; ++t) {
      auto& slot = slots_[t % kSlots];
      std::size_t keep = 0;
      due_.clear();
      for (Entry& e : slot) {
        if (e.due <= now) {
          due_.push_back(e);
        } else {
          slot[keep++] = e;
        }
      }
      slot.resize(keep);
      for (const Entry& e : due_) fire(e);
    }
    now_ = now;
  }

 private:
  static constexpr std::size_t kSlots = 8192;
  static std::uint64_t ticks(Clock::time_point t) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count());
  }
  Clock::time_point now_;
  std::vector<Entry> due_;
  std::vector<std::vector<Entry>> slots_ = std::vector<std::vector<Entry>>(kSlots);
};

class Load {
 public:
  explicit Load(Options o);
  ~Load() {
    for (const Socket& s : sockets_) ::close(s.fd);
    if (rtp_sink_ >= 0) ::close(rtp_sink_);
  }
  int run();

 private:
  struct Socket {
    int fd = -1;
    std::string ip;
    int port = 0;
    bool callee = false;
    int user = 0;  // callee: the extension registered on it
  };
  enum class State { kInviting, kHolding, kAwaitingBye, kHangingUp };
  struct Call {
    int socket = 0;
    int caller = 0, callee = 0;
    State state = State::kInviting;
    std::uint32_t cseq = 1;
    std::uint32_t generation = 1;  // of the pending retransmission/hold timer
    milliseconds retransmit{500};
    std::string wire;     // the request to retransmit
    std::string to_line;  // To with the server's tag, once answered
    std::string target;   // the server's Contact
    std::string ack;      // our ACK to the 200, resent if the 200 is
    Clock::time_point started, answered;
  };
  struct Nonce {
    std::optional<hotline::sip::DigestChallenge> challenge;
    std::uint32_t nc = 0;
  };

  int open_socket(const std::string& ip, bool callee, int user);
  std::string password_of(int user) const {
    std::string p = o_.password;
    if (auto at = p.find("{user}"); at != std::string::npos) p.replace(at, 6, std::to_string(user));
    return p;
  }
  std::string call_id(std::uint64_t id) const { return fmt::format("{:x}-{}@callload", run_, id); }
  std::string invite(std::uint64_t id, Call& c);
  std::string in_dialog(std::uint64_t id, const Call& c, std::string_view method,
                        std::uint32_t cseq, bool new_branch) const;
  void send(int socket, std::string wire) {
    pending_[static_cast<std::size_t>(socket)].push_back(std::move(wire));
  }
  void send_to(int socket, std::string wire, const sockaddr_in& to);
  void flush();
  void receive(std::size_t socket, Clock::time_point now);
  void on_caller_message(const Scan& m, std::size_t socket, Clock::time_point now);
  void on_callee_message(const Scan& m, std::size_t socket, const sockaddr_in& from);
  void start_call(Clock::time_point now);
  void arm(std::uint64_t id, Call& c, Clock::time_point due) {
    ++c.generation;
    wheel_.add(id, c.generation, due);
  }
  void on_timer(const TimerWheel::Entry& e, Clock::time_point now);
  void finish(std::uint64_t id, const std::string& failure, Clock::time_point now);
  std::string response(const Scan& m, int status, std::string_view reason, std::string_view to_tag,
                       std::string_view extra, std::string_view body) const;
  std::string sdp(const std::string& ip) const;
  void register_callees();

  Options o_;
  sockaddr_in server_;
  std::uint64_t run_;
  std::pair<int, int> callers_, callees_;
  std::vector<Socket> sockets_;
  std::vector<int> caller_sockets_;
  std::vector<std::vector<std::string>> pending_;
  std::vector<std::vector<std::pair<std::string, sockaddr_in>>> pending_to_;
  int rtp_sink_ = -1;
  int rtp_port_ = 0;
  std::unordered_map<std::uint64_t, Call> calls_;
  std::unordered_map<int, Nonce> nonces_;  // per caller extension
  TimerWheel wheel_{Clock::now()};
  std::uint64_t next_id_ = 1;
  std::uint64_t attempted_ = 0, succeeded_ = 0, succeeded_this_second_ = 0;
  std::uint64_t retransmissions_ = 0, challenges_ = 0, late_ = 0, unparsable_ = 0;
  std::uint64_t send_errors_ = 0, callee_invites_ = 0;
  std::map<std::string, std::uint64_t> failures_;
  std::vector<std::uint32_t> setup_us_, hold_ms_;
};

Load::Load(Options o)
    : o_(std::move(o)),
      server_(parse_address(o_.server)),
      run_(std::random_device{}()),
      callers_(parse_range(o_.callers)),
      callees_(parse_range(o_.callees)) {
  if (o_.domain.empty()) o_.domain = o_.server.substr(0, o_.server.rfind(':'));
  for (int i = 0; i < o_.sockets; ++i)
    caller_sockets_.push_back(open_socket(o_.local_ip, false, 0));
  if (o_.scenario == "ext") {
    for (int u = callees_.first; u <= callees_.second; ++u) open_socket(o_.callee_ip, true, u);
  }
  // RTP from hotline lands here and is never read: a small buffer, dropped quietly.
  rtp_sink_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  const int small = 4096;
  ::setsockopt(rtp_sink_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in local = parse_address(o_.local_ip + ":0");
  if (::bind(rtp_sink_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    throw std::runtime_error("bind RTP sink: " + std::string(std::strerror(errno)));
  }
  socklen_t len = sizeof local;
  ::getsockname(rtp_sink_, reinterpret_cast<sockaddr*>(&local), &len);
  rtp_port_ = ntohs(local.sin_port);
  pending_.resize(sockets_.size());
  pending_to_.resize(sockets_.size());
}

int Load::open_socket(const std::string& ip, bool callee, int user) {
  const hotline::bench::UdpSocket u = hotline::bench::open_udp_socket(ip);
  Socket s;
  s.fd = u.fd;
  s.ip = ip;
  s.port = u.port;
  s.callee = callee;
  s.user = user;
  sockets_.push_back(s);
  return static_cast<int>(sockets_.size() - 1);
}

std::string Load::sdp(const std::string& ip) const {
  return fmt::format(
      "v=0\r\no=callload 1 1 IN IP4 {0}\r\ns=-\r\nc=IN IP4 {0}\r\nt=0 0\r\n"
      "m=audio {1} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n",
      ip, rtp_port_);
}

std::string Load::invite(std::uint64_t id, Call& c) {
  const Socket& s = sockets_[static_cast<std::size_t>(c.socket)];
  std::string from_user = o_.scenario == "ext" ? std::to_string(c.caller) : "+33140000000";
  std::string to_user = o_.scenario == "ext" ? std::to_string(c.callee) : o_.number;
  const std::string uri = fmt::format("sip:{}@{}", to_user, o_.domain);
  std::string auth;
  if (o_.scenario == "ext" && (o_.auth == "reuse" || c.cseq > 1)) {
    Nonce& n = nonces_[c.caller];
    if (n.challenge) {
      auto a = hotline::sip::digest_authorization(*n.challenge, from_user, password_of(c.caller),
                                                  "INVITE", uri, fmt::format("{:x}", id), ++n.nc);
      if (a) auth = "Authorization: " + *a + "\r\n";
    }
  }
  const std::string body = sdp(o_.local_ip);
  return fmt::format(
      "INVITE {0} SIP/2.0\r\nVia: SIP/2.0/UDP {1}:{2};branch=z9hG4bK{3:x}-{4}-{5};rport\r\n"
      "From: <sip:{6}@{7}>;tag=cl{4}\r\nTo: <sip:{8}@{7}>\r\nCall-ID: {9}\r\n"
      "CSeq: {5} INVITE\r\nContact: <sip:{6}@{1}:{2}>\r\nMax-Forwards: 70\r\n{10}"
      "Content-Type: application/sdp\r\nContent-Length: {11}\r\n\r\n{12}",
      uri, s.ip, s.port, run_, id, c.cseq, from_user, o_.domain, to_user, call_id(id), auth,
      body.size(), body);
}

std::string Load::in_dialog(std::uint64_t id, const Call& c, std::string_view method,
                            std::uint32_t cseq, bool new_branch) const {
  const Socket& s = sockets_[static_cast<std::size_t>(c.socket)];
  std::string from_user = o_.scenario == "ext" ? std::to_string(c.caller) : "+33140000000";
  const std::string uri =
      method == "ACK" && !new_branch
          ? fmt::format("sip:{}@{}", o_.scenario == "ext" ? std::to_string(c.callee) : o_.number,
                        o_.domain)
          : c.target;
  return fmt::format(
      "{0} {1} SIP/2.0\r\nVia: SIP/2.0/UDP {2}:{3};branch=z9hG4bK{4:x}-{5}-{6}{7};rport\r\n"
      "From: <sip:{8}@{9}>;tag=cl{5}\r\n{10}\r\nCall-ID: {11}\r\nCSeq: {12} {0}\r\n"
      "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
      method, uri, s.ip, s.port, run_, id, cseq, new_branch ? method : std::string_view{},
      from_user, o_.domain, c.to_line, call_id(id), cseq);
}

std::string Load::response(const Scan& m, int status, std::string_view reason,
                           std::string_view to_tag, std::string_view extra,
                           std::string_view body) const {
  std::string out = fmt::format("SIP/2.0 {} {}\r\n", status, reason);
  for (std::string_view v : m.vias) {
    out += v;
    out += "\r\n";
  }
  out += m.from_line;
  out += "\r\n";
  out += m.to_line;
  if (!to_tag.empty() && m.to_tag.empty()) {
    out += ";tag=";
    out += to_tag;
  }
  out += "\r\n";
  out += m.call_id_line;
  out += "\r\n";
  out += m.cseq_line;
  out += "\r\n";
  out += extra;
  out += fmt::format("Content-Length: {}\r\n\r\n", body.size());
  out += body;
  return out;
}

void Load::send_to(int socket, std::string wire, const sockaddr_in& to) {
  pending_to_[static_cast<std::size_t>(socket)].emplace_back(std::move(wire), to);
}

void Load::flush() {
  for (std::size_t s = 0; s < sockets_.size(); ++s) {
    hotline::bench::send_batch(sockets_[s].fd, pending_[s], server_,
                               send_errors_);  // to the server
    // Answers to wherever the request came from (the server's address anyway).
    auto& r = pending_to_[s];
    for (auto& [wire, to] : r) {
      if (::sendto(sockets_[s].fd, wire.data(), wire.size(), 0,
                   reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0) {
        ++send_errors_;
      }
    }
    r.clear();
  }
}

void Load::receive(std::size_t s, Clock::time_point now) {
  Scan m;
  hotline::bench::receive_batches(sockets_[s].fd,
                                  [&](std::string_view bytes, const sockaddr_in& from) {
                                    if (!scan(bytes, m)) {
                                      ++unparsable_;
                                      return;
                                    }
                                    if (sockets_[s].callee) {
                                      on_callee_message(m, s, from);
                                    } else {
                                      on_caller_message(m, s, now);
                                    }
                                  });
}

void Load::start_call(Clock::time_point now) {
  const std::uint64_t id = next_id_++;
  Call c;
  const auto pick = [id](std::pair<int, int> r) {
    return r.first + static_cast<int>(id % static_cast<std::uint64_t>(r.second - r.first + 1));
  };
  c.caller = pick(callers_);
  c.callee = pick(callees_);
  // An extension always sends from the same socket, like a phone: its INVITEs reach
  // the server in the order of their nonce-counts (which must grow).
  c.socket =
      caller_sockets_[static_cast<std::size_t>(c.caller - callers_.first) % caller_sockets_.size()];
  c.started = now;
  c.wire = invite(id, c);
  send(c.socket, c.wire);
  auto [it, _] = calls_.emplace(id, std::move(c));
  arm(id, it->second, now + it->second.retransmit);
  wheel_.add(
      id, 0,
      now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.timeout)));
  ++attempted_;
}

void Load::on_caller_message(const Scan& m, std::size_t socket, Clock::time_point now) {
  // Our Call-IDs are "<run>-<id>@callload".
  const auto dash = m.call_id.find('-');
  const auto at = m.call_id.find('@');
  if (dash == std::string_view::npos || at == std::string_view::npos) return;
  std::uint64_t id = 0;
  for (char ch : m.call_id.substr(dash + 1, at - dash - 1))
    id = id * 10 + static_cast<unsigned>(ch - '0');
  auto it = calls_.find(id);
  if (m.request) {
    // A BYE (the server hangs up) or anything else in our dialog: answer 200.
    send(static_cast<int>(socket), response(m, 200, "OK", "", "", ""));
    if (it == calls_.end()) return;  // a retransmitted BYE after we finished
    Call& c = it->second;
    if (m.method == "BYE") {
      if (c.state != State::kAwaitingBye && c.state != State::kHolding) {
        return finish(id, "BYE before the answer", now);
      }
      const auto held = std::chrono::duration_cast<milliseconds>(now - c.answered).count();
      hold_ms_.push_back(static_cast<std::uint32_t>(held));
      if (held < o_.min_hold_ms) return finish(id, "hung up before --min-hold", now);
      return finish(id, "", now);
    }
    return;
  }
  if (it == calls_.end()) {
    ++late_;
    return;
  }
  Call& c = it->second;
  if (m.cseq_method == "INVITE") {
    if (m.cseq != c.cseq) {
      // A 200 to an earlier INVITE (retransmitted) is answered by its ACK below.
      if (m.status >= 300) return;
    }
    if (m.status < 200) {
      if (c.state == State::kInviting) {
        // Provisional: retransmissions stop (the server is on it); the timeout stays.
        ++c.generation;
      }
      return;
    }
    if (m.status >= 300) {
      // ACK the failure (same branch as the INVITE), then maybe try again.
      Call ack_call = c;
      ack_call.to_line = std::string(m.to_line);
      send(c.socket, in_dialog(id, ack_call, "ACK", c.cseq, false));
      if ((m.status == 401 || m.status == 407) && o_.scenario == "ext" && c.cseq < 3 &&
          !m.challenge.empty()) {
        auto challenge = hotline::sip::parse_digest_challenge(m.challenge);
        if (!challenge) return finish(id, "unparsable challenge", now);
        ++challenges_;
        nonces_[c.caller] = Nonce{*challenge, 0};
        ++c.cseq;
        c.wire = invite(id, c);
        c.retransmit = milliseconds(500);
        send(c.socket, c.wire);
        arm(id, c, now + c.retransmit);
        return;
      }
      return finish(id, fmt::format("INVITE answered {}", m.status), now);
    }
    // 200: ACK it (again, if it was retransmitted).
    if (c.state == State::kInviting) {
      c.to_line = std::string(m.to_line);
      c.target = std::string(m.contact_uri);
      if (c.target.empty()) return finish(id, "200 without Contact", now);
      c.answered = now;
      setup_us_.push_back(static_cast<std::uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(now - c.started).count()));
      c.ack = in_dialog(id, c, "ACK", c.cseq, true);
      if (o_.scenario == "ivr" && o_.hangup == "server") {
        c.state = State::kAwaitingBye;
        ++c.generation;  // nothing to retransmit; the overall timeout stays
      } else {
        c.state = State::kHolding;
        arm(id, c, now + milliseconds(o_.hold_ms));
      }
    }
    send(c.socket, c.ack);
    return;
  }
  if (m.cseq_method == "BYE" && c.state == State::kHangingUp && m.status >= 200) {
    if (m.status >= 300) return finish(id, fmt::format("BYE answered {}", m.status), now);
    return finish(id, "", now);
  }
}

void Load::on_callee_message(const Scan& m, std::size_t socket, const sockaddr_in& from) {
  const int s = static_cast<int>(socket);
  if (!m.request) return;  // answers to our REGISTERs are read by register_callees()
  if (m.method == "ACK") return;
  if (m.method == "INVITE") {
    ++callee_invites_;
    const Socket& sock = sockets_[socket];
    // The tag derives from the Call-ID, so a retransmitted INVITE gets the same answer.
    const std::string tag = fmt::format("ph{:x}", std::hash<std::string_view>{}(m.call_id));
    const std::string contact =
        fmt::format("Contact: <sip:{}@{}:{}>\r\n", sock.user, sock.ip, sock.port);
    send_to(s, response(m, 180, "Ringing", tag, contact, ""), from);
    send_to(
        s, response(m, 200, "OK", tag, contact + "Content-Type: application/sdp\r\n", sdp(sock.ip)),
        from);
    return;
  }
  send_to(s, response(m, 200, "OK", "", "", ""), from);  // BYE, CANCEL, OPTIONS, ...
}

void Load::on_timer(const TimerWheel::Entry& e, Clock::time_point now) {
  auto it = calls_.find(e.call);
  if (it == calls_.end()) return;
  Call& c = it->second;
  if (e.generation == 0) {
    const char* what = c.state == State::kInviting      ? "timeout waiting for the answer"
                       : c.state == State::kAwaitingBye ? "timeout waiting for the server's BYE"
                                                        : "timeout waiting for the BYE's 200";
    return finish(e.call, what, now);
  }
  if (e.generation != c.generation) return;  // replaced by a later timer
  if (c.state == State::kHolding) {
    c.state = State::kHangingUp;
    c.wire = in_dialog(e.call, c, "BYE", c.cseq + 1, true);
    c.retransmit = milliseconds(500);
    send(c.socket, c.wire);
    arm(e.call, c, now + c.retransmit);
    return;
  }
  // Retransmit the INVITE or the BYE.
  ++retransmissions_;
  send(c.socket, c.wire);
  c.retransmit = std::min(c.retransmit * 2, milliseconds(4000));
  arm(e.call, c, now + c.retransmit);
}

void Load::finish(std::uint64_t id, const std::string& failure, Clock::time_point) {
  if (failure.empty()) {
    ++succeeded_;
    ++succeeded_this_second_;
  } else {
    ++failures_[failure];
  }
  calls_.erase(id);
}

void Load::register_callees() {
  // One at a time: REGISTER → 401 → REGISTER with digest → 200, from each callee's socket.
  for (std::size_t s = 0; s < sockets_.size(); ++s) {
    if (!sockets_[s].callee) continue;
    const Socket& sock = sockets_[s];
    const std::string user = std::to_string(sock.user);
    const std::string uri = "sip:" + o_.domain;
    std::string auth;
    for (int attempt = 1; attempt <= 2; ++attempt) {
      const std::string wire = fmt::format(
          "REGISTER {0} SIP/2.0\r\nVia: SIP/2.0/UDP {1}:{2};branch=z9hG4bKreg{3:x}-{4}-{5}\r\n"
          "From: <sip:{4}@{6}>;tag=r{4}\r\nTo: <sip:{4}@{6}>\r\nCall-ID: reg-{3:x}-{4}\r\n"
          "CSeq: {5} REGISTER\r\nContact: <sip:{4}@{1}:{2}>\r\nExpires: 3600\r\n"
          "Max-Forwards: 70\r\n{7}Content-Length: 0\r\n\r\n",
          uri, sock.ip, sock.port, run_, user, attempt, o_.domain, auth);
      ::sendto(sock.fd, wire.data(), wire.size(), 0, reinterpret_cast<const sockaddr*>(&server_),
               sizeof server_);
      char buf[4096];
      Scan m;
      int status = 0;
      for (int tries = 0; tries < 50 && status < 200; ++tries) {
        pollfd p{sock.fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        const ssize_t n = ::recv(sock.fd, buf, sizeof buf, 0);
        if (n <= 0 || !scan(std::string_view(buf, static_cast<std::size_t>(n)), m)) continue;
        if (m.request) continue;
        status = m.status;
      }
      if (status == 200) break;
      if (status != 401 || attempt == 2) {
        throw std::runtime_error(fmt::format("cannot register {}: status {}", user, status));
      }
      auto challenge = hotline::sip::parse_digest_challenge(m.challenge);
      if (!challenge) throw std::runtime_error("unparsable REGISTER challenge");
      auto a = hotline::sip::digest_authorization(*challenge, user, password_of(sock.user),
                                                  "REGISTER", uri, "c0ffee", 1);
      if (!a) throw std::runtime_error("cannot answer the REGISTER challenge");
      auth = "Authorization: " + *a + "\r\n";
    }
  }
}

int Load::run() {
  if (o_.scenario == "ext") register_callees();
  std::vector<pollfd> fds;
  for (const Socket& s : sockets_) fds.push_back({s.fd, POLLIN, 0});
  const auto start = Clock::now();
  const auto load_end = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(o_.duration));
  auto next_report = start + std::chrono::seconds(1);
  double owed = 0;
  auto last_tick = start;
  for (;;) {
    const auto now = Clock::now();
    if (now < load_end) {
      owed += o_.rate * std::chrono::duration<double>(now - last_tick).count();
      while (owed >= 1 && calls_.size() < static_cast<std::size_t>(o_.max_in_flight)) {
        start_call(now);
        owed -= 1;
      }
      owed = std::min(owed, o_.rate);
    } else if (calls_.empty()) {
      break;
    }
    last_tick = now;
    flush();
    ::poll(fds.data(), fds.size(), 1);
    const auto after = Clock::now();
    for (std::size_t s = 0; s < sockets_.size(); ++s) {
      if (fds[s].revents & POLLIN) receive(s, after);
    }
    wheel_.advance(after, [&](const TimerWheel::Entry& e) { on_timer(e, after); });
    flush();
    if (after >= next_report) {
      std::uint64_t failed = 0;
      for (const auto& [why, n] : failures_) failed += n;
      fmt::print(stderr, "t={:>4.0f}s  ok/s={:>6}  in-flight={:>6}  failed={}\n",
                 std::chrono::duration<double>(after - start).count(), succeeded_this_second_,
                 calls_.size(), failed);
      succeeded_this_second_ = 0;
      next_report += std::chrono::seconds(1);
    }
  }
  // The load stops at --duration; the calls still up then finish (prompt, hold).
  // A rate is sustained only when they do so promptly: compare `drain_s` with the
  // hold time, and look at the set-up latency and retransmissions.
  const double drain = std::chrono::duration<double>(Clock::now() - load_end).count();
  auto pct = [](std::vector<std::uint32_t>& v, double p) -> double {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
  };
  std::uint64_t failed = 0;
  for (const auto& [why, n] : failures_) failed += n;
  fmt::print(
      "scenario={} attempted={} succeeded={} failed={} rate={:.0f}/s (offered {:.0f}/s for "
      "{:.0f}s, drain_s={:.1f}) setup_ms p50={:.2f} p99={:.2f} max={:.2f} answer_to_bye_ms "
      "p50={:.0f} "
      "retransmissions={} challenges={} callee_invites={} late={} unparsable={} "
      "send_errors={}\n",
      o_.scenario, attempted_, succeeded_, failed, static_cast<double>(succeeded_) / o_.duration,
      o_.rate, o_.duration, drain, pct(setup_us_, 0.5) / 1000, pct(setup_us_, 0.99) / 1000,
      pct(setup_us_, 1.0) / 1000, pct(hold_ms_, 0.5), retransmissions_, challenges_,
      callee_invites_, late_, unparsable_, send_errors_);
  for (const auto& [why, n] : failures_) fmt::print("  failed: {} x {}\n", n, why);
  return failed == 0 && send_errors_ == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"callload — call set-up load generator for hotline's benchmarks"};
  app.add_option("--scenario", o.scenario, "ivr | ext")->check(CLI::IsMember({"ivr", "ext"}));
  app.add_option("--server", o.server, "host:port of the server (IPv4)");
  app.add_option("--local", o.local_ip, "IPv4 address the callers send from (ivr: a trunk's)");
  app.add_option("--callee-local", o.callee_ip, "ext: IPv4 address of the callee phones");
  app.add_option("--number", o.number, "ivr: the number dialled");
  app.add_option("--callers", o.callers, "ext: caller extensions, e.g. 1001-1050");
  app.add_option("--callees", o.callees, "ext: callee extensions (registered here)");
  app.add_option("--password", o.password, "ext: password; {user} is the extension");
  app.add_option("--domain", o.domain, "domain in the URIs (default: the server address)");
  app.add_option("--hangup", o.hangup, "ivr: who hangs up, server | caller")
      ->check(CLI::IsMember({"server", "caller"}));
  app.add_option("--auth", o.auth, "ext: per-call (answer each 401) | reuse (the nonce)")
      ->check(CLI::IsMember({"per-call", "reuse"}));
  app.add_option("--rate", o.rate, "calls started per second")->check(CLI::PositiveNumber);
  app.add_option("--duration", o.duration, "seconds of load")->check(CLI::PositiveNumber);
  app.add_option("--timeout", o.timeout, "seconds before an unfinished call fails");
  app.add_option("--hold", o.hold_ms, "ms between ACK and our BYE (ext; ivr --hangup caller)");
  app.add_option("--min-hold", o.min_hold_ms, "ivr: a server BYE sooner than this (ms) fails");
  app.add_option("--sockets", o.sockets, "caller UDP ports to spread the load over")
      ->check(CLI::Range(1, 256));
  app.add_option("--max-in-flight", o.max_in_flight, "cap on unfinished calls");
  CLI11_PARSE(app, argc, argv);
  try {
    Load load(o);
    return load.run();
  } catch (const std::exception& e) {
    fmt::print(stderr, "callload: {}\n", e.what());
    return 2;
  }
}
