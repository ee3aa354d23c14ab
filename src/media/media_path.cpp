// The media thread's per-packet and per-tick audio path: receive (latch, statistics,
// DTMF, decode), send (pass-through rewrite, transcoding, batching), ticks (recording,
// playback, mixing) and housekeeping (timeouts, RTCP). See media_thread.hpp.
#include "media/media_path.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "media/media_thread.hpp"
#include "media/rtcp.hpp"
#include "media/rtp.hpp"

namespace hotline::media {

using namespace media_detail;

// ---------------------------------------------------------------------------- receive

void MediaThread::on_readable(Endpoint::SocketTag* tag) {
  Endpoint& ep = *tag->ep;
  const int fd = tag->rtcp ? ep.rtcp_fd : ep.rtp_fd;
  for (int i = 0; i < kRxBatch; ++i) {
    rx_iov_[i] = {rx_buf_.data() + static_cast<std::size_t>(i) * kSlot, kSlot};
    rx_msgs_[i].msg_hdr = {};
    rx_msgs_[i].msg_hdr.msg_name = &rx_addr_[i];
    rx_msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    rx_msgs_[i].msg_hdr.msg_iov = &rx_iov_[i];
    rx_msgs_[i].msg_hdr.msg_iovlen = 1;
  }
  // Level-triggered: one batch per readiness; what is left is reported again.
  int n = recvmmsg(fd, rx_msgs_.data(), kRxBatch, MSG_DONTWAIT, nullptr);
  for (int i = 0; i < n; ++i) {
    auto& m = rx_msgs_[static_cast<std::size_t>(i)];
    if ((m.msg_hdr.msg_flags & MSG_TRUNC) || m.msg_hdr.msg_namelen != sizeof(sockaddr_in)) {
      ++ep.stats.rejected_packets;
      continue;
    }
    std::span<std::uint8_t> pkt(static_cast<std::uint8_t*>(m.msg_hdr.msg_iov->iov_base), m.msg_len);
    if (tag->rtcp)
      on_rtcp(ep, pkt, rx_addr_[static_cast<std::size_t>(i)]);
    else
      on_rtp(ep, pkt, rx_addr_[static_cast<std::size_t>(i)]);
  }
}

void MediaThread::on_rtp(Endpoint& ep, std::span<std::uint8_t> pkt, const sockaddr_in& from) {
  if (!ep.negotiated) return;
  if (ep.media.rtcp_mux && looks_like_rtcp(pkt)) {
    on_rtcp(ep, pkt, from);
    return;
  }
  if (ep.srtp_in) {
    scratch_.assign(pkt.begin(), pkt.end());
    if (!ep.srtp_in->unprotect_rtp(scratch_)) {
      ++ep.stats.rejected_packets;
      return;
    }
    pkt = std::span<std::uint8_t>(scratch_);
  }
  auto parsed = parse_rtp(pkt);
  if (!parsed) {
    ++ep.stats.rejected_packets;
    return;
  }
  const RtpPacketView& v = *parsed;
  const bool is_event =
      ep.media.telephone_event_pt && v.header.payload_type == *ep.media.telephone_event_pt;
  if (!is_event && v.header.payload_type != ep.media.codec.payload_type) {
    ++ep.stats.rejected_packets;  // comfort noise, a codec we did not agree on
    return;
  }
  const std::int64_t now = now_us();
  if (ep.latch.on_packet(from, now) == SourceLatch::Verdict::kReject) {
    ++ep.stats.rejected_packets;
    return;
  }
  ep.last_rx_us = now;
  if (ep.timed_out) {
    ep.timed_out = false;
    MediaEvent ev;
    ev.kind = MediaEvent::Kind::kRtpResumed;
    ev.endpoint = ep.id;
    emit(std::move(ev));
  }
  const std::int64_t lost_so_far = ep.rx->received() ? ep.rx->cumulative_lost() : 0;
  const bool had_source = ep.rx->received() > 0;
  const RtpVerdict verdict = ep.rx->on_packet(v.header, now);
  if (verdict == RtpVerdict::kNewSource && had_source) {
    ep.lost_before += lost_so_far;
    ++ep.stats.ssrc_changes;
  }
  if (verdict == RtpVerdict::kDuplicate) return;
  ++ep.stats.packets_received;
  ep.stats.octets_received += v.payload.size();

  Endpoint* peer = ep.peer;
  const bool relay_to_peer = peer && can_send(*peer) && !peer->synth_out();

  if (is_event) {
    if (auto digits = ep.dtmf_rx.on_packet(v.payload, v.header.timestamp)) {
      report_digits(ep, *digits);
    } else {
      ++ep.stats.rejected_packets;
      return;
    }
    ep.last_event_us = now;
    ep.event_pending = true;
    if (relay_to_peer && peer->media.telephone_event_pt) {
      if (same_codec(ep, *peer))
        relay(ep, *peer, pkt, v, true);
      else
        relay_event_transcoded(ep, *peer, v);
    }
    return;
  }

  const bool transcode_to_peer = relay_to_peer && !same_codec(ep, *peer);
  if (ep.needs_pcm() || transcode_to_peer) {
    auto n = ep.codec->decode(v.payload, pcm_);
    if (!n) {
      ++ep.stats.rejected_packets;
      return;
    }
    std::span<const std::int16_t> pcm(pcm_.data(), *n);
    if (ep.needs_pcm()) decode_for_pcm(ep, pcm);
    if (transcode_to_peer) transcode(*peer, pcm, ep.codec->sample_rate());
  }
  if (relay_to_peer && !transcode_to_peer) relay(ep, *peer, pkt, v, false);
}

// Feeds the decoded frame in pcm_ (codec rate) to in-band detection and the mix FIFO.
void MediaThread::decode_for_pcm(Endpoint& ep, std::span<const std::int16_t> pcm) {
  if (ep.inband) report_digits(ep, ep.inband->process(pcm));
  if (ep.to_mix_rs) {
    ep.to_mix_rs->process(pcm, ep.rx_pcm);
  } else {
    ep.rx_pcm.insert(ep.rx_pcm.end(), pcm.begin(), pcm.end());
  }
  const std::size_t cap =
      static_cast<std::size_t>(config_.mix_rate * kTickMs / 1000 * kMaxRxPcmFrames);
  if (ep.rx_pcm.size() > cap)
    ep.rx_pcm.erase(ep.rx_pcm.begin(),
                    ep.rx_pcm.begin() + static_cast<std::ptrdiff_t>(ep.rx_pcm.size() - cap));
}

void MediaThread::report_digits(Endpoint& ep, const std::vector<DtmfDigit>& digits) {
  for (const auto& d : digits) {
    ep.playlist.on_dtmf(d.digit);
    MediaEvent ev;
    ev.kind = MediaEvent::Kind::kDtmf;
    ev.endpoint = ep.id;
    ev.digit = d;
    emit(std::move(ev));
  }
}

void MediaThread::on_rtcp(Endpoint& ep, std::span<const std::uint8_t> pkt,
                          const sockaddr_in& from) {
  if (!ep.negotiated) return;
  std::vector<std::uint8_t> plain;
  if (ep.srtp_in) {
    plain.assign(pkt.begin(), pkt.end());
    if (!ep.srtp_in->unprotect_rtcp(plain)) {
      ++ep.stats.rejected_packets;
      return;
    }
    pkt = plain;
  }
  auto parsed = parse_rtcp(pkt);
  if (!parsed) {
    ++ep.stats.rejected_packets;
    return;
  }
  const std::int64_t now = now_us();
  if (!ep.media.rtcp_mux) ep.rtcp_latch.on_packet(from, now);
  for (const auto& r : parsed->reports) {
    if (r.sender) {
      ep.last_sr_middle = ntp_middle(r.sender->ntp_timestamp);
      ep.last_sr_arrival_us = now;
    }
    for (const auto& b : r.blocks) {
      if (b.ssrc != ep.ssrc) continue;
      ep.stats.remote_fraction_lost = b.fraction_lost / 256.0;
      ep.stats.remote_jitter_ms = b.jitter * 1000.0 / ep.media.codec.clock_rate;
      if (auto rtt = round_trip_ms(b, ntp_now())) ep.stats.rtt_ms = *rtt;
    }
  }
}

// ---------------------------------------------------------------------------- send

void MediaThread::relay(Endpoint& from, Endpoint& to, std::span<std::uint8_t> pkt,
                        const RtpPacketView& v, bool is_event) {
  (void)from;
  if (!to.map_valid || to.map_ssrc != v.header.ssrc) {
    to.seq_off = static_cast<std::uint16_t>(to.out_seq - v.header.sequence);
    to.ts_off = to.out_ts - v.header.timestamp;
    to.map_ssrc = v.header.ssrc;
    to.map_valid = true;
    to.out_marker = true;
  }
  const std::uint16_t seq = static_cast<std::uint16_t>(v.header.sequence + to.seq_off);
  const std::uint32_t ts = v.header.timestamp + to.ts_off;
  const std::uint8_t pt = static_cast<std::uint8_t>(is_event ? *to.media.telephone_event_pt
                                                             : to.media.codec.payload_type);
  // Rewrite the fixed header in place: the payload (and any CSRC/extension) is untouched.
  std::uint8_t* b = pkt.data();
  const bool marker = (b[1] & 0x80) || to.out_marker;
  b[1] = static_cast<std::uint8_t>((marker ? 0x80 : 0) | pt);
  put16(b + 2, seq);
  put32(b + 4, ts);
  put32(b + 8, to.ssrc);
  to.out_marker = false;
  // Keep our line moving: the next packet from any source continues from here.
  if (static_cast<std::int16_t>(static_cast<std::uint16_t>(seq + 1 - to.out_seq)) > 0)
    to.out_seq = static_cast<std::uint16_t>(seq + 1);
  if (!is_event && static_cast<std::int32_t>(ts + frame_step(to) - to.out_ts) > 0)
    to.out_ts = ts + frame_step(to);
  ++to.stats.packets_sent;
  to.stats.octets_sent += v.payload.size();
  if (to.srtp_out) {
    scratch_.assign(pkt.begin(), pkt.end());
    if (!to.srtp_out->protect_rtp(scratch_)) return;
    queue_send(to, scratch_, false);
  } else {
    queue_send(to, pkt, false);
  }
}

void MediaThread::transcode(Endpoint& to, std::span<const std::int16_t> pcm, int rate) {
  const int out_rate = to.codec->sample_rate();
  if (rate != out_rate) {
    if (!to.xcode_rs || to.xcode_rs->in_rate() != rate) {
      auto r = Resampler::create(rate, out_rate);
      if (!r) return;
      to.xcode_rs.emplace(std::move(*r));
    }
    to.xcode_rs->process(pcm, to.xcode_fifo);
  } else {
    to.xcode_fifo.insert(to.xcode_fifo.end(), pcm.begin(), pcm.end());
  }
  const std::size_t frame = static_cast<std::size_t>(to.codec->frame_samples());
  std::size_t pos = 0;
  std::uint8_t payload[kMaxEncodedFrameBytes];
  while (to.xcode_fifo.size() - pos >= frame) {
    auto n = to.codec->encode(std::span(to.xcode_fifo.data() + pos, frame), payload);
    pos += frame;
    if (!n) continue;
    send_packet(to, std::span(payload, *n), static_cast<std::uint8_t>(to.media.codec.payload_type),
                to.out_ts, to.out_marker);
    to.out_ts += frame_step(to);
  }
  to.xcode_fifo.erase(to.xcode_fifo.begin(),
                      to.xcode_fifo.begin() + static_cast<std::ptrdiff_t>(pos));
}

void MediaThread::relay_event_transcoded(Endpoint& from, Endpoint& to, const RtpPacketView& v) {
  auto e = parse_telephone_event(v.payload);
  if (!e) return;
  if (!to.relay_event_active || to.relay_event_src_ts != v.header.timestamp) {
    to.relay_event_active = true;
    to.relay_event_src_ts = v.header.timestamp;
    to.relay_event_out_ts = to.out_ts;
    to.out_marker = true;
  }
  TelephoneEvent out = *e;
  out.duration = static_cast<std::uint16_t>(std::min<std::int64_t>(
      0xffff, static_cast<std::int64_t>(e->duration) * to.media.telephone_event_clock /
                  std::max(1, from.media.telephone_event_clock)));
  auto bytes = serialize(out);
  send_packet(to, bytes, static_cast<std::uint8_t>(*to.media.telephone_event_pt),
              to.relay_event_out_ts, to.out_marker);
}

void MediaThread::send_packet(Endpoint& ep, std::span<const std::uint8_t> payload, std::uint8_t pt,
                              std::uint32_t ts, bool marker) {
  if (!can_send(ep)) return;
  std::uint8_t hdr[kRtpHeaderBytes];
  hdr[0] = 0x80;
  hdr[1] = static_cast<std::uint8_t>((marker ? 0x80 : 0) | pt);
  put16(hdr + 2, ep.out_seq++);
  put32(hdr + 4, ts);
  put32(hdr + 8, ep.ssrc);
  ep.out_marker = false;
  ++ep.stats.packets_sent;
  ep.stats.octets_sent += payload.size();
  scratch_.assign(hdr, hdr + kRtpHeaderBytes);
  scratch_.insert(scratch_.end(), payload.begin(), payload.end());
  if (ep.srtp_out && !ep.srtp_out->protect_rtp(scratch_)) return;
  queue_send(ep, scratch_, false);
}

void MediaThread::queue_send(Endpoint& ep, std::span<const std::uint8_t> bytes, bool rtcp) {
  const sockaddr_in& to = (rtcp && !ep.media.rtcp_mux) ? ep.rtcp_latch.target() : ep.latch.target();
  if (to.sin_port == 0 || bytes.size() > kSlot) return;
  if (tx_count_ == kTxBatch) flush_sends();
  std::uint8_t* slot = tx_buf_.data() + tx_count_ * kSlot;
  std::memcpy(slot, bytes.data(), bytes.size());
  tx_iov_[tx_count_] = {slot, bytes.size()};
  tx_addr_[tx_count_] = to;
  tx_fd_[tx_count_] = (rtcp && !ep.media.rtcp_mux) ? ep.rtcp_fd : ep.rtp_fd;
  ++tx_count_;
}

void MediaThread::flush_sends() {
  std::size_t start = 0;
  while (start < tx_count_) {
    std::size_t end = start + 1;
    while (end < tx_count_ && tx_fd_[end] == tx_fd_[start]) ++end;
    for (std::size_t i = start; i < end; ++i) {
      tx_msgs_[i].msg_hdr = {};
      tx_msgs_[i].msg_hdr.msg_name = &tx_addr_[i];
      tx_msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
      tx_msgs_[i].msg_hdr.msg_iov = &tx_iov_[i];
      tx_msgs_[i].msg_hdr.msg_iovlen = 1;
    }
    if (end - start == 1) {
      // One datagram: sendto is the cheaper call.
      [[maybe_unused]] auto r =
          sendto(tx_fd_[start], tx_iov_[start].iov_base, tx_iov_[start].iov_len, MSG_DONTWAIT,
                 reinterpret_cast<const sockaddr*>(&tx_addr_[start]), sizeof(sockaddr_in));
    } else {
      [[maybe_unused]] auto r = sendmmsg(tx_fd_[start], &tx_msgs_[start],
                                         static_cast<unsigned>(end - start), MSG_DONTWAIT);
    }
    start = end;
  }
  tx_count_ = 0;
}

// ---------------------------------------------------------------------------- ticks

void MediaThread::tick() {
  const std::size_t mix_frame = static_cast<std::size_t>(config_.mix_rate * kTickMs / 1000);
  // Pass 1: each leg whose audio someone needs takes this tick's frame.
  for (auto& [id, ep] : endpoints_) {
    if (!ep->needs_pcm()) continue;
    ep->frame.assign(mix_frame, 0);
    const std::size_t take = std::min(mix_frame, ep->rx_pcm.size());
    std::copy_n(ep->rx_pcm.begin(), take, ep->frame.begin());
    ep->rx_pcm.erase(ep->rx_pcm.begin(), ep->rx_pcm.begin() + static_cast<std::ptrdiff_t>(take));
  }
  // Pass 2: recordings, prompts and mixes.
  std::vector<std::int16_t> silence(mix_frame, 0);
  for (auto& [id, ep_ptr] : endpoints_) {
    Endpoint& ep = *ep_ptr;
    if (ep.recorder) {
      const auto& other = ep.peer && ep.peer->frame.size() == mix_frame ? ep.peer->frame : silence;
      const auto& mine = ep.frame.size() == mix_frame ? ep.frame : silence;
      ep.recorder->write(mine, other);
    }
    if (ep.silence_ms > 0) {
      const auto& mine = ep.frame.size() == mix_frame ? ep.frame : silence;
      double energy = 0.0;
      for (std::int16_t v : mine) energy += static_cast<double>(v) * v;
      const double level =
          std::sqrt(energy / static_cast<double>(std::max<std::size_t>(1, mix_frame)));
      if (level >= ep.silence_level) {
        ep.quiet_ms = 0;
        ep.silence_reported = false;
      } else if (!ep.silence_reported && (ep.quiet_ms += kTickMs) >= ep.silence_ms) {
        ep.silence_reported = true;
        MediaEvent ev;
        ev.kind = MediaEvent::Kind::kSilence;
        ev.endpoint = ep.id;
        emit(std::move(ev));
      }
    }
    const bool playing = !ep.playlist.finished();
    if (!playing && ep.was_playing) {
      ep.was_playing = false;
      ep.map_valid = false;
      MediaEvent ev;
      ev.kind = MediaEvent::Kind::kPlaybackFinished;
      ev.endpoint = ep.id;
      emit(std::move(ev));
    }
    if (!playing && ep.mix_sources.empty()) continue;
    if (!ep.negotiated) continue;
    pcm2_.assign(mix_frame, 0);
    if (playing) {
      if (!ep.was_playing) ep.out_marker = true;
      ep.was_playing = true;
      ep.playlist.read(pcm2_);
    } else {
      for (Endpoint* s : ep.mix_sources)
        if (s->frame.size() == mix_frame) mix_into(pcm2_, s->frame);
    }
    ep.map_valid = false;  // relay (when it resumes) continues our timestamp line
    if (ep.from_mix_rs)
      ep.from_mix_rs->process(pcm2_, ep.synth_fifo);
    else
      ep.synth_fifo.insert(ep.synth_fifo.end(), pcm2_.begin(), pcm2_.end());
    send_frame_from_pcm(ep);
  }
}

void MediaThread::send_frame_from_pcm(Endpoint& ep) {
  const std::size_t frame = static_cast<std::size_t>(ep.codec->frame_samples());
  std::size_t pos = 0;
  std::uint8_t payload[kMaxEncodedFrameBytes];
  while (ep.synth_fifo.size() - pos >= frame) {
    auto n = ep.codec->encode(std::span(ep.synth_fifo.data() + pos, frame), payload);
    pos += frame;
    if (!n) continue;
    send_packet(ep, std::span(payload, *n), static_cast<std::uint8_t>(ep.media.codec.payload_type),
                ep.out_ts, ep.out_marker);
    ep.out_ts += frame_step(ep);
  }
  ep.synth_fifo.erase(ep.synth_fifo.begin(),
                      ep.synth_fifo.begin() + static_cast<std::ptrdiff_t>(pos));
}

void MediaThread::housekeeping() {
  const std::int64_t now = now_us();
  for (auto& [id, ep_ptr] : endpoints_) {
    Endpoint& ep = *ep_ptr;
    if (!ep.negotiated) continue;
    if (ep.event_pending && now - ep.last_event_us >= kDtmfFlushUs) {
      ep.event_pending = false;
      if (auto d = ep.dtmf_rx.flush()) report_digits(ep, {*d});
    }
    if (ep.rx && ep.rx->received())
      ep.stats.max_jitter_ms = std::max(ep.stats.max_jitter_ms, ep.rx->jitter_ms());
    if (!ep.timed_out && can_receive(ep) && config_.rtp_timeout_ms > 0 &&
        now - ep.last_rx_us >= config_.rtp_timeout_ms * 1000LL) {
      ep.timed_out = true;
      MediaEvent ev;
      ev.kind = MediaEvent::Kind::kRtpTimeout;
      ev.endpoint = ep.id;
      emit(std::move(ev));
    }
    if (now >= ep.next_rtcp_us) {
      send_rtcp(ep, false);
      std::uniform_int_distribution<int> jitter(config_.rtcp_interval_ms / 2,
                                                config_.rtcp_interval_ms * 3 / 2);
      ep.next_rtcp_us = now + jitter(rng_) * 1000LL;
    }
  }
}

void MediaThread::send_rtcp(Endpoint& ep, bool bye) {
  RtcpReport report;
  report.ssrc = ep.ssrc;
  if (ep.stats.packets_sent > 0) {
    report.sender =
        SenderInfo{ntp_now(), ep.out_ts, static_cast<std::uint32_t>(ep.stats.packets_sent),
                   static_cast<std::uint32_t>(ep.stats.octets_sent)};
  }
  if (ep.rx && ep.rx->received() > 0) {
    std::uint32_t dlsr = 0;
    if (ep.last_sr_middle != 0)
      dlsr = static_cast<std::uint32_t>((now_us() - ep.last_sr_arrival_us) * 65536 / 1'000'000);
    report.blocks.push_back(ep.rx->make_report_block(ep.last_sr_middle, dlsr));
  }
  std::vector<std::uint8_t> buf;
  build_rtcp(report, config_.cname, buf);
  if (bye) append_rtcp_bye(ep.ssrc, buf);
  if (ep.srtp_out && !ep.srtp_out->protect_rtcp(buf)) return;
  ++ep.rtcp_sent_packets;
  queue_send(ep, buf, true);
}

}  // namespace hotline::media
