// rtpload: a lean RTP load generator for bridged calls. One process, one thread, a few
// UDP sockets; sendmmsg/recvmmsg in batches, paced by a 1 ms loop (no per-packet wake-ups). For
// every call it plays two phones (caller and agent), each sending one 20 ms packet every 20 ms to
// its engine port, and it measures what comes back through the bridge: loss, interarrival jitter
// (RFC 3550 A.8) and, for pass-through G.711, the one-way delay through the engine (the
// send time travels in the payload's first 8 bytes).
//
//   rtpload --targets ports.txt --seconds 30 --warmup 5 [--codec-b opus] [--sockets 8]
//
// ports.txt: one call per line, "<caller_port> <agent_port>" on 127.0.0.1 (what
// media_bridge_harness writes). Streams are spread evenly over the 20 ms period.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "media/codec.hpp"
#include "media/signal_analysis.hpp"

namespace {

using hotline::media::CodecId;

std::int64_t now_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000LL + ts.tv_nsec / 1000;
}
double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct Stream {
  int socket = 0;      // index into the socket list
  sockaddr_in dest{};  // engine port this phone sends to
  std::uint32_t ssrc = 0;
  std::uint16_t seq = 0;
  std::uint32_t ts = 0;
  std::uint32_t ts_step = 160;
  std::uint8_t pt = 0;
  bool opus = false;
  int phase_ms = 0;       // 0..19: when in each 20 ms period it sends
  std::size_t frame = 0;  // index into the pre-encoded payloads
  // Receive side: what the bridge delivers to this phone.
  std::uint64_t received = 0;
  int rx_clock = 8000;
  bool have_transit = false;
  double transit = 0;
  double jitter = 0;  // in rx_clock units, RFC 3550 A.8
};

struct Options {
  std::string targets;
  double seconds = 30;
  double warmup = 5;
  int sockets = 8;
  CodecId codec_b = CodecId::kPcmu;
  int opus_pt = 111;
};

void usage() {
  std::fprintf(stderr,
               "usage: rtpload --targets FILE [--seconds S] [--warmup S] [--sockets N]\n"
               "               [--codec-b pcmu|opus] [--opus-pt PT]\n");
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--targets")
      opt.targets = next();
    else if (a == "--seconds")
      opt.seconds = std::stod(next());
    else if (a == "--warmup")
      opt.warmup = std::stod(next());
    else if (a == "--sockets")
      opt.sockets = std::stoi(next());
    else if (a == "--codec-b")
      opt.codec_b = next() == "opus" ? CodecId::kOpus : CodecId::kPcmu;
    else if (a == "--opus-pt")
      opt.opus_pt = std::stoi(next());
    else {
      usage();
      return 2;
    }
  }
  if (opt.targets.empty()) {
    usage();
    return 2;
  }

  // Payloads: G.711 frames (the first 8 bytes carry the send time) and, for the agent side
  // of a transcoding run, one second of real Opus frames encoded once and looped.
  std::vector<std::vector<std::uint8_t>> opus_frames;
  if (opt.codec_b == CodecId::kOpus) {
    auto enc = hotline::media::make_codec({CodecId::kOpus, opt.opus_pt, 48000, 2, ""},
                                          {.opus_sample_rate = 16000});
    auto pcm = hotline::media::analysis::sine(700, 16000, 16000);
    for (int f = 0; f < 50; ++f) {
      std::vector<std::uint8_t> out(hotline::media::kMaxEncodedFrameBytes);
      auto n = (*enc)->encode(std::span(pcm).subspan(static_cast<std::size_t>(f) * 320, 320), out);
      out.resize(*n);
      opus_frames.push_back(std::move(out));
    }
  }

  std::vector<int> socks;
  for (int s = 0; s < opt.sockets; ++s) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int buf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      std::perror("bind");
      return 1;
    }
    socks.push_back(fd);
  }

  std::vector<Stream> streams;
  std::vector<int> by_port(65536, -1);  // engine source port -> stream that receives it
  {
    std::ifstream in(opt.targets);
    unsigned cp = 0, ap = 0;
    while (in >> cp >> ap) {
      for (int leg = 0; leg < 2; ++leg) {
        Stream s;
        s.socket = static_cast<int>(streams.size()) % opt.sockets;
        s.dest.sin_family = AF_INET;
        s.dest.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        s.dest.sin_port = htons(static_cast<std::uint16_t>(leg == 0 ? cp : ap));
        s.ssrc = 0x10000000u + static_cast<std::uint32_t>(streams.size());
        s.seq = static_cast<std::uint16_t>(streams.size() * 7);
        s.phase_ms = static_cast<int>((streams.size() * 7) % 20);
        const bool opus = leg == 1 && opt.codec_b == CodecId::kOpus;
        s.opus = opus;
        s.pt = static_cast<std::uint8_t>(opus ? opt.opus_pt : 0);
        s.ts_step = opus ? 960 : 160;
        // This phone receives what its peer sent, in this leg's codec.
        s.rx_clock = opus ? 48000 : 8000;
        by_port[leg == 0 ? cp : ap] = static_cast<int>(streams.size());
        streams.push_back(s);
      }
    }
  }
  if (streams.empty()) {
    std::fprintf(stderr, "rtpload: no targets in %s\n", opt.targets.c_str());
    return 1;
  }
  std::vector<std::vector<int>> by_phase(20);
  for (std::size_t i = 0; i < streams.size(); ++i)
    by_phase[static_cast<std::size_t>(streams[i].phase_ms)].push_back(static_cast<int>(i));

  constexpr int kBatch = 64;
  constexpr std::size_t kPkt = 12 + 1275;
  std::vector<std::uint8_t> txbuf(kBatch * kPkt), rxbuf(kBatch * 1500);
  std::vector<mmsghdr> txm(kBatch), rxm(kBatch);
  std::vector<iovec> txv(kBatch), rxv(kBatch);
  std::vector<sockaddr_in> rxa(kBatch);
  // Per socket, the pending sends of this millisecond.
  std::vector<std::vector<int>> pending(socks.size());

  std::uint64_t sent = 0, received = 0, send_errors = 0;
  std::vector<double> delays_ms;  // one-way delay samples in the measurement window
  delays_ms.reserve(1 << 20);
  double max_lateness_ms = 0;

  const std::int64_t t0 = now_us();
  const std::int64_t t_measure = t0 + static_cast<std::int64_t>(opt.warmup * 1e6);
  const std::int64_t t_stop = t0 + static_cast<std::int64_t>(opt.seconds * 1e6);
  const std::int64_t t_end = t_stop + 300'000;  // drain what is in flight
  std::uint64_t sent_at_measure = 0, sent_at_stop = 0, received_in_window = 0;
  double cpu_at_measure = 0;
  bool measuring = false, stopped = false;
  std::int64_t next_ms = t0;  // the next millisecond slot to serve

  // `stamp`: the pass's start time, the same clock the window snapshots use, so a packet
  // counts as sent in the window exactly when its stamp lies in it.
  auto flush = [&](std::size_t s, std::int64_t stamp) {
    auto& list = pending[s];
    std::size_t done = 0;
    while (done < list.size()) {
      const std::size_t n = std::min<std::size_t>(kBatch, list.size() - done);
      for (std::size_t k = 0; k < n; ++k) {
        Stream& st = streams[static_cast<std::size_t>(list[done + k])];
        std::uint8_t* p = txbuf.data() + k * kPkt;
        p[0] = 0x80;
        p[1] = st.pt;
        p[2] = static_cast<std::uint8_t>(st.seq >> 8);
        p[3] = static_cast<std::uint8_t>(st.seq);
        for (int b = 0; b < 4; ++b) p[4 + b] = static_cast<std::uint8_t>(st.ts >> (24 - 8 * b));
        for (int b = 0; b < 4; ++b) p[8 + b] = static_cast<std::uint8_t>(st.ssrc >> (24 - 8 * b));
        std::size_t len = 12;
        if (st.opus) {
          const auto& f = opus_frames[st.frame++ % opus_frames.size()];
          std::memcpy(p + 12, f.data(), f.size());
          len += f.size();
        } else {
          std::memset(p + 12, 0xff, 160);  // µ-law silence
          std::memcpy(p + 12, &stamp, sizeof stamp);
          len += 160;
        }
        st.seq++;
        st.ts += st.ts_step;
        txv[k] = {p, len};
        txm[k].msg_hdr = {};
        txm[k].msg_hdr.msg_name = &st.dest;
        txm[k].msg_hdr.msg_namelen = sizeof st.dest;
        txm[k].msg_hdr.msg_iov = &txv[k];
        txm[k].msg_hdr.msg_iovlen = 1;
      }
      int r = sendmmsg(socks[s], txm.data(), static_cast<unsigned>(n), 0);
      if (r < 0) r = 0;
      sent += static_cast<std::uint64_t>(r);
      send_errors += n - static_cast<std::size_t>(r);
      done += n;
    }
    list.clear();
  };

  // One pass per millisecond: drain every socket, then send what is due, then sleep to
  // the next millisecond. Nothing wakes us per packet, so the generator's cost is the
  // packets themselves.
  timespec tick{};
  clock_gettime(CLOCK_MONOTONIC, &tick);
  for (;;) {
    const std::int64_t now = now_us();
    if (!measuring && now >= t_measure) {
      measuring = true;
      sent_at_measure = sent;
      cpu_at_measure = cpu_seconds();
      for (auto& s : streams) s.jitter = 0, s.have_transit = false;
    }
    if (!stopped && now >= t_stop) {
      stopped = true;
      sent_at_stop = sent;
    }
    if (now >= t_end) break;
    for (std::size_t s = 0; s < socks.size(); ++s) {
      for (;;) {
        for (int k = 0; k < kBatch; ++k) {
          rxv[k] = {rxbuf.data() + k * 1500, 1500};
          rxm[k].msg_hdr = {};
          rxm[k].msg_hdr.msg_name = &rxa[k];
          rxm[k].msg_hdr.msg_namelen = sizeof(sockaddr_in);
          rxm[k].msg_hdr.msg_iov = &rxv[k];
          rxm[k].msg_hdr.msg_iovlen = 1;
        }
        int got = recvmmsg(socks[s], rxm.data(), kBatch, MSG_DONTWAIT, nullptr);
        if (got <= 0) break;
        const std::int64_t arrival = now_us();
        for (int k = 0; k < got; ++k) {
          const auto len = rxm[k].msg_len;
          const std::uint8_t* p = rxbuf.data() + k * 1500;
          if (len < 12 || (p[1] >= 200 && p[1] <= 204)) continue;  // RTCP (rtcp-mux)
          int idx = by_port[ntohs(rxa[k].sin_port)];
          if (idx < 0) continue;
          Stream& st = streams[static_cast<std::size_t>(idx)];
          ++received;
          ++st.received;
          // In the loss window: by send time when the packet carries our stamp (pass-through
          // G.711), else by arrival; so packets in flight at the window's edges do not count.
          std::int64_t stamp = 0;
          if (len >= 12 + 160 && (p[1] & 0x7f) == 0) std::memcpy(&stamp, p + 12, sizeof stamp);
          if (stamp >= t0 && stamp <= arrival) {
            if (stamp >= t_measure && stamp < t_stop) ++received_in_window;
          } else if (arrival >= t_measure && arrival < t_stop) {
            ++received_in_window;
          }
          const std::uint32_t ts = (std::uint32_t{p[4]} << 24) | (std::uint32_t{p[5]} << 16) |
                                   (std::uint32_t{p[6]} << 8) | p[7];
          const double transit = arrival * (st.rx_clock / 1e6) - ts;
          if (st.have_transit) {
            double d = std::fabs(transit - st.transit);
            if (d < st.rx_clock) st.jitter += (d - st.jitter) / 16.0;
          }
          st.transit = transit;
          st.have_transit = true;
          if (measuring && !stopped && stamp >= t0 && stamp <= arrival) {
            const double d = (arrival - stamp) / 1000.0;
            if (d >= 0 && d < 10'000) delays_ms.push_back(d);
          }
        }
        if (got < kBatch) break;
      }
    }
    if (!stopped) {
      // Serve every millisecond slot that is due (catching up if we were late).
      const std::int64_t t = now_us();
      while (next_ms <= t) {
        max_lateness_ms = std::max(max_lateness_ms, (t - next_ms) / 1000.0);
        const auto slot = static_cast<std::size_t>((next_ms - t0) / 1000 % 20);
        for (int idx : by_phase[slot])
          pending[static_cast<std::size_t>(streams[static_cast<std::size_t>(idx)].socket)]
              .push_back(idx);
        next_ms += 1000;
      }
      for (std::size_t s = 0; s < socks.size(); ++s) flush(s, now);
    }
    tick.tv_nsec += 1'000'000;
    if (tick.tv_nsec >= 1'000'000'000) {
      tick.tv_nsec -= 1'000'000'000;
      ++tick.tv_sec;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &tick, nullptr);
  }
  const double cpu = cpu_seconds() - cpu_at_measure;
  const double window = (t_stop - t_measure) / 1e6;
  const std::uint64_t w_sent = sent_at_stop - sent_at_measure;
  const std::uint64_t w_recv = received_in_window;
  const double loss = w_sent ? 100.0 * (static_cast<double>(w_sent) - static_cast<double>(w_recv)) /
                                   static_cast<double>(w_sent)
                             : 0.0;
  double jsum = 0, jmax = 0;
  std::size_t silent = 0;
  for (const auto& s : streams) {
    const double j = s.jitter * 1000.0 / s.rx_clock;
    jsum += j;
    jmax = std::max(jmax, j);
    silent += s.received == 0;
  }
  std::sort(delays_ms.begin(), delays_ms.end());
  auto pct = [&](double q) {
    return delays_ms.empty() ? 0.0
                             : delays_ms[std::min(delays_ms.size() - 1,
                                                  static_cast<std::size_t>(q * delays_ms.size()))];
  };
  std::printf(
      "calls=%zu streams=%zu window_s=%.1f sent=%llu received=%llu loss_pct=%.4f "
      "send_errors=%llu silent_streams=%zu jitter_mean_ms=%.3f jitter_max_ms=%.3f "
      "delay_p50_ms=%.3f delay_p99_ms=%.3f delay_max_ms=%.3f gen_late_max_ms=%.1f "
      "gen_cpu_pct=%.1f\n",
      streams.size() / 2, streams.size(), window, static_cast<unsigned long long>(w_sent),
      static_cast<unsigned long long>(w_recv), loss, static_cast<unsigned long long>(send_errors),
      silent, jsum / static_cast<double>(streams.size()), jmax, pct(0.5), pct(0.99),
      delays_ms.empty() ? 0.0 : delays_ms.back(), max_lateness_ms, 100.0 * cpu / (window + 0.3));
  return 0;
}
