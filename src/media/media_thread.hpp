// Internal to the media engine: one media thread with its epoll loop, the endpoints
// (RTP legs) placed on it, and the per-packet and per-tick work (relay, transcode, mix,
// record, DTMF, RTCP, timeouts). Everything here runs on that thread except post(),
// which queues a command from any thread. Not part of the engine's public API.
// media_thread.cpp: the loop, commands and topology; media_path.cpp: the packet and
// tick path.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "media/audio_source.hpp"
#include "media/codec.hpp"
#include "media/inband_dtmf.hpp"
#include "media/media_engine.hpp"
#include "media/port_allocator.hpp"
#include "media/recorder.hpp"
#include "media/resampler.hpp"
#include "media/rfc4733.hpp"
#include "media/rtp_stats.hpp"
#include "media/source_latch.hpp"
#include "media/srtp.hpp"

namespace hotline::media {

class RecordingWorker;

// One RTP leg. Owned by its MediaThread; raw pointers between endpoints (peer, mix
// sources) are cleared by MediaThread::remove() before an endpoint is freed.
struct Endpoint {
  struct SocketTag {
    Endpoint* ep;
    bool rtcp;
  };

  EndpointId id = 0;
  std::uint16_t port = 0;
  int rtp_fd = -1;
  int rtcp_fd = -1;
  SocketTag rtp_tag{this, false};
  SocketTag rtcp_tag{this, true};

  bool removed = false;     // closed; freed when the current event batch ends
  bool negotiated = false;  // an offer of ours without an answer sends/receives nothing
  NegotiatedMedia media;
  bool detect_inband = false;
  std::unique_ptr<AudioCodec> codec;  // decoder+encoder state of the negotiated codec
  std::optional<SrtpContext> srtp_in, srtp_out;

  // Receive side.
  SourceLatch latch;
  SourceLatch rtcp_latch;
  std::optional<RtpReceiveStats> rx;
  std::int64_t lost_before = 0;  // loss of earlier sources (SSRC changes)
  Rfc4733Receiver dtmf_rx;
  std::int64_t last_event_us = 0;
  bool event_pending = false;
  std::optional<InbandDtmfDetector> inband;
  std::int64_t last_rx_us = 0;
  bool timed_out = false;

  // Send side: our own SSRC, sequence and timestamp line whatever feeds it.
  std::uint32_t ssrc = 0;
  std::uint16_t out_seq = 0;
  std::uint32_t out_ts = 0;
  bool out_marker = true;
  // Pass-through mapping from the peer's stream onto ours.
  bool map_valid = false;
  std::uint32_t map_ssrc = 0;
  std::uint16_t seq_off = 0;
  std::uint32_t ts_off = 0;
  // Transcoding into this leg: PCM from the peer at our codec rate, then our encoder.
  std::optional<Resampler> xcode_rs;
  std::vector<std::int16_t> xcode_fifo;
  // Events relayed into this leg while transcoding: peer event timestamp -> ours.
  std::uint32_t relay_event_src_ts = 0;
  std::uint32_t relay_event_out_ts = 0;
  bool relay_event_active = false;

  // Topology.
  Endpoint* peer = nullptr;
  bool is_caller = false;              // names the recording's left channel
  std::vector<Endpoint*> mix_sources;  // non-empty: we send their mix, tick-driven
  int mixers_of_me = 0;                // endpoints whose mix_sources hold us
  Endpoint* supervisor_of = nullptr;   // set on a supervisor: its monitored caller

  // Tick-driven audio at the engine's mix rate.
  Playlist playlist;
  bool was_playing = false;
  std::optional<Resampler> to_mix_rs;    // our codec rate -> mix rate (received audio)
  std::optional<Resampler> from_mix_rs;  // mix rate -> our codec rate (what we send)
  std::vector<std::int16_t> rx_pcm;      // received audio at mix rate, bounded
  std::vector<std::int16_t> frame;       // this tick's received frame at mix rate
  std::vector<std::int16_t> synth_fifo;  // mixed/played audio at our codec rate
  std::unique_ptr<Recorder> recorder;    // on the caller leg of a recorded bridge
  // Silence detection (detect_silence): quiet time so far, reported once per quiet spell.
  int silence_ms = 0;  // 0: off
  int silence_level = 0;
  int quiet_ms = 0;
  bool silence_reported = false;

  // Statistics and RTCP.
  StreamStats stats;
  std::uint64_t rtcp_sent_packets = 0;
  std::int64_t next_rtcp_us = 0;
  std::uint32_t last_sr_middle = 0;  // LSR to echo
  std::int64_t last_sr_arrival_us = 0;

  bool synth_out() const { return !playlist.finished() || !mix_sources.empty(); }
  bool needs_pcm() const {
    return detect_inband || mixers_of_me > 0 || recorder || (peer && peer->recorder) ||
           silence_ms > 0;
  }
};

class MediaThread {
 public:
  MediaThread(int index, const EngineConfig& config, EventCallback& on_event, PortAllocator& ports,
              RecordingWorker& recording);
  ~MediaThread();  // joins
  Status start();
  void stop();

  // Queues `fn` to run on this thread (in order). Any thread.
  void post(std::move_only_function<void(MediaThread&)> fn);

  // --- On this thread only (from posted commands) ---
  Endpoint* find(EndpointId id);
  void add(std::unique_ptr<Endpoint> ep);
  void remove(EndpointId id);  // closes sockets, frees ports, emits the final kStats
  void set_media(Endpoint& ep, const NegotiatedMedia& media);
  void bridge(Endpoint& caller, Endpoint& agent);
  void unbridge(Endpoint& ep);
  void monitor(Endpoint& sup, Endpoint& caller, Endpoint& agent, MonitorMode mode);
  void stop_monitor(Endpoint& sup);
  void emit(MediaEvent ev);
  void emit_stats(Endpoint& ep, bool final);
  void detach_recorder(Endpoint& ep);  // hands the recorder to the worker to finalise
  const EngineConfig& config() const { return config_; }
  std::int64_t now_us() const;
  std::size_t size() const { return endpoints_.size(); }

 private:
  void run();
  void drain_commands();
  void on_readable(Endpoint::SocketTag* tag);
  void on_rtp(Endpoint& ep, std::span<std::uint8_t> pkt, const sockaddr_in& from);
  void on_rtcp(Endpoint& ep, std::span<const std::uint8_t> pkt, const sockaddr_in& from);
  void relay(Endpoint& from, Endpoint& to, std::span<std::uint8_t> pkt, const RtpPacketView& v,
             bool is_event);
  void transcode(Endpoint& to, std::span<const std::int16_t> pcm, int rate);
  void relay_event_transcoded(Endpoint& from, Endpoint& to, const RtpPacketView& v);
  void report_digits(Endpoint& ep, const std::vector<DtmfDigit>& digits);
  void send_frame_from_pcm(Endpoint& ep);  // encodes whole frames of synth_fifo
  void send_packet(Endpoint& ep, std::span<const std::uint8_t> payload, std::uint8_t pt,
                   std::uint32_t ts, bool marker);
  void queue_send(Endpoint& ep, std::span<const std::uint8_t> bytes, bool rtcp);
  void flush_sends();
  void tick();
  void housekeeping();
  void send_rtcp(Endpoint& ep, bool bye);
  void decode_for_pcm(Endpoint& ep, std::span<const std::int16_t> pcm);

  int index_;
  const EngineConfig& config_;
  EventCallback& on_event_;
  PortAllocator& ports_;
  RecordingWorker& recording_;
  int epoll_fd_ = -1;
  int event_fd_ = -1;
  int timer_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<std::move_only_function<void(MediaThread&)>> commands_;  // GUARDED_BY(mu_)
  std::unordered_map<EndpointId, std::unique_ptr<Endpoint>> endpoints_;
  std::vector<std::unique_ptr<Endpoint>> graveyard_;  // removed during this event batch
  std::int64_t next_housekeeping_us_ = 0;
  std::mt19937 rng_;
  // Batch buffers.
  std::vector<std::uint8_t> rx_buf_;
  std::vector<mmsghdr> rx_msgs_;
  std::vector<iovec> rx_iov_;
  std::vector<sockaddr_in> rx_addr_;
  std::vector<std::uint8_t> tx_buf_;
  std::vector<mmsghdr> tx_msgs_;
  std::vector<iovec> tx_iov_;
  std::vector<sockaddr_in> tx_addr_;
  std::vector<int> tx_fd_;
  std::size_t tx_count_ = 0;
  std::vector<std::uint8_t> scratch_;
  std::vector<std::int16_t> pcm_;
  std::vector<std::int16_t> pcm2_;
};

}  // namespace hotline::media
