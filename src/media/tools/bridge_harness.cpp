// media_bridge_harness: drives the MediaEngine without SIP for benchmarks. It creates N
// bridged calls (caller leg PCMU, agent leg PCMU or Opus) exactly as the call layer would
// (create_answer from an offer, colocated second leg, bridge, optional recording), writes
// "<caller_port> <agent_port>" per call for rtpload, then reports its own CPU and memory
// over a measurement window.
//
//   media_bridge_harness --calls 2000 --ports-file /tmp/ports.txt --warmup 5 --measure 20
//                        [--threads 2] [--codec-b opus] [--record-dir DIR] [--mono]
//
// The offers advertise 127.0.0.1:9 (discard): the engine must latch to where rtpload's
// packets really come from, as it would for a NATed phone.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "media/media_engine.hpp"
#include "media/sdp.hpp"

namespace {

using namespace hotline::media;

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}
long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long kb = 0;
      in >> kb;
      return kb;
    }
    in.ignore(1 << 12, '\n');
  }
  return 0;
}
std::string phone_offer(CodecId codec) {
  LocalMediaOptions o;
  o.address = "127.0.0.1";
  o.port = 9;
  o.codecs = {codec};
  o.rtcp_mux = true;
  return to_string(*build_offer(o));
}

}  // namespace

int main(int argc, char** argv) {
  int calls = 100;
  int threads = 0;
  double warmup = 5, measure = 20;
  std::string ports_file = "ports.txt";
  std::string record_dir;
  bool mono = false;
  int poll_us = 0;
  CodecId codec_b = CodecId::kPcmu;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--calls")
      calls = std::stoi(next());
    else if (a == "--threads")
      threads = std::stoi(next());
    else if (a == "--warmup")
      warmup = std::stod(next());
    else if (a == "--measure")
      measure = std::stod(next());
    else if (a == "--ports-file")
      ports_file = next();
    else if (a == "--record-dir")
      record_dir = next();
    else if (a == "--mono")
      mono = true;
    else if (a == "--poll-us")
      poll_us = std::stoi(next());
    else if (a == "--codec-b")
      codec_b = next() == "opus" ? CodecId::kOpus : CodecId::kPcmu;
    else {
      std::fprintf(stderr,
                   "usage: media_bridge_harness --calls N --ports-file F [--threads T] "
                   "[--warmup S] [--measure S] [--codec-b pcmu|opus] [--record-dir D] "
                   "[--mono] [--poll-us US]\n");
      return 2;
    }
  }

  // SIGINT/SIGTERM end the run; blocked before any thread starts so sigwait gets them.
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, nullptr);
  std::atomic<std::uint64_t> timeouts{0}, rec_failed{0};
  EngineConfig cfg;
  cfg.threads = threads;
  cfg.port_min = 20000;
  cfg.port_max = 40000;
  cfg.rtp_timeout_ms = 0;  // the bench measures relay, not timeouts
  cfg.poll_interval_us = poll_us;
  const long rss0 = rss_kb();
  auto engine = MediaEngine::start(cfg, [&](const MediaEvent& e) {
    if (e.kind == MediaEvent::Kind::kRtpTimeout) ++timeouts;
    if (e.kind == MediaEvent::Kind::kRecordingFailed) {
      ++rec_failed;
      std::fprintf(stderr, "recording failed: %s\n", e.error.c_str());
    }
  });
  if (!engine) {
    std::fprintf(stderr, "engine: %s\n", engine.error().describe().c_str());
    return 1;
  }
  auto& eng = **engine;
  const std::string offer_a = phone_offer(CodecId::kPcmu);
  const std::string offer_b = phone_offer(codec_b);
  std::vector<std::pair<EndpointId, EndpointId>> legs;
  std::string lines;
  for (int i = 0; i < calls; ++i) {
    auto c = eng.create_answer(offer_a);
    if (!c) {
      std::fprintf(stderr, "call %d: %s\n", i, c.error().describe().c_str());
      return 1;
    }
    EndpointOptions o;
    o.colocate_with = c->id;
    auto a = eng.create_answer(offer_b, o);
    if (!a) {
      std::fprintf(stderr, "call %d: %s\n", i, a.error().describe().c_str());
      return 1;
    }
    (void)eng.bridge(c->id, a->id);
    if (!record_dir.empty()) {
      RecorderOptions ro;
      ro.path = record_dir + "/call-" + std::to_string(i) + ".wav";
      ro.layout = mono ? RecordingLayout::kMixedMono : RecordingLayout::kStereo;
      (void)eng.start_recording(c->id, ro);
    }
    legs.emplace_back(c->id, a->id);
    lines += std::to_string(c->port) + " " + std::to_string(a->port) + "\n";
  }
  {
    std::ofstream tmp(ports_file + ".tmp");
    tmp << lines;
  }
  std::rename((ports_file + ".tmp").c_str(), ports_file.c_str());
  std::fprintf(stderr, "harness: %d calls ready on %d media threads\n", calls, eng.threads());

  std::this_thread::sleep_for(std::chrono::duration<double>(warmup));
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(measure));
  const double cpu = cpu_seconds() - cpu0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const long rss = rss_kb();
  const double core_pct = 100.0 * cpu / wall;
  std::printf(
      "calls=%d threads=%d cpu_pct_of_core=%.1f cpu_pct_per_100_calls=%.2f rss_mb=%.1f "
      "rss_kb_per_call=%.1f recording_failures=%llu\n",
      calls, eng.threads(), core_pct, core_pct * 100.0 / calls, rss / 1024.0,
      static_cast<double>(rss - rss0) / calls, static_cast<unsigned long long>(rec_failed.load()));
  std::fflush(stdout);
  // Keep relaying until told to stop (the load generator may still be sending).
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  int sig = 0;
  sigwait(&stop, &sig);
  for (auto [c, a] : legs) {
    (void)eng.destroy(c);
    (void)eng.destroy(a);
  }
  return 0;
}
