#include "media/sdp.hpp"

#include <charconv>

#include "media/text_util.hpp"

namespace hotline::media {
namespace {

std::unexpected<Error> bad(std::size_t line_no, std::string_view why) {
  return fail(ErrorCode::kInvalidArgument,
              "sdp line " + std::to_string(line_no) + ": " + std::string(why));
}

std::optional<Direction> direction_from(std::string_view name) {
  if (name == "sendrecv") return Direction::kSendRecv;
  if (name == "sendonly") return Direction::kSendOnly;
  if (name == "recvonly") return Direction::kRecvOnly;
  if (name == "inactive") return Direction::kInactive;
  return std::nullopt;
}

Result<Connection> parse_connection(std::string_view v, std::size_t line_no) {
  auto f = split_ws(v);
  if (f.size() != 3) return bad(line_no, "c= needs <nettype> <addrtype> <address>");
  if (f[1] != "IP4" && f[1] != "IP6")
    return bad(line_no, "unknown address type '" + clip(f[1]) + "'");
  // Drop any multicast TTL/count suffix; unicast telephony never uses it.
  std::string_view addr = f[2].substr(0, f[2].find('/'));
  if (addr.empty()) return bad(line_no, "empty connection address");
  return Connection{std::string(f[0]), std::string(f[1]), std::string(addr)};
}

Result<MediaDescription> parse_media_line(std::string_view v, std::size_t line_no) {
  auto f = split_ws(v);
  if (f.size() < 4) return bad(line_no, "m= needs <media> <port> <proto> <fmt>...");
  MediaDescription m;
  m.media = std::string(f[0]);
  std::string_view port = f[1];
  if (auto slash = port.find('/'); slash != std::string_view::npos) {
    auto count = parse_int(port.substr(slash + 1), 1, 65535);
    if (!count) return bad(line_no, "bad port count '" + clip(port) + "'");
    m.port_count = *count;
    port = port.substr(0, slash);
  }
  auto p = parse_int(port, 0, 65535);
  if (!p) return bad(line_no, "bad port '" + clip(port) + "'");
  m.port = static_cast<std::uint16_t>(*p);
  m.proto = std::string(f[2]);
  if (f.size() - 3 > kMaxSdpFormatsPerMedia) return bad(line_no, "too many formats");
  const bool rtp = m.proto.find("RTP/") != std::string::npos;
  for (std::size_t i = 3; i < f.size(); ++i) {
    if (!rtp) {  // non-RTP formats (e.g. "t38") are not payload types; keep them as text
      m.other_formats.emplace_back(f[i]);
      continue;
    }
    auto pt = parse_int(f[i], 0, 127);
    if (!pt) return bad(line_no, "bad payload type '" + clip(f[i]) + "'");
    m.formats.push_back(*pt);
  }
  return m;
}

Status parse_rtpmap(MediaDescription& m, std::string_view v, std::size_t line_no) {
  auto sp = v.find(' ');
  if (sp == std::string_view::npos) return bad(line_no, "rtpmap needs '<pt> <encoding>/<clock>'");
  auto pt = parse_int(v.substr(0, sp), 0, 127);
  if (!pt) return bad(line_no, "bad rtpmap payload type");
  auto parts = split(trim(v.substr(sp + 1)), '/');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty())
    return bad(line_no, "rtpmap needs <encoding>/<clock>[/<channels>]");
  RtpMap r;
  r.payload_type = *pt;
  r.encoding = std::string(parts[0]);
  auto clock = parse_int(parts[1], 1, 1'000'000);
  if (!clock) return bad(line_no, "bad rtpmap clock rate '" + clip(parts[1]) + "'");
  r.clock_rate = *clock;
  if (parts.size() == 3) {
    auto ch = parse_int(parts[2], 1, 8);
    if (!ch) return bad(line_no, "bad rtpmap channel count");
    r.channels = *ch;
  }
  for (auto& existing : m.rtpmaps) {
    if (existing.payload_type == r.payload_type) return bad(line_no, "duplicate rtpmap");
  }
  m.rtpmaps.push_back(std::move(r));
  return {};
}

Status parse_crypto(MediaDescription& m, std::string_view v, std::size_t line_no) {
  auto f = split_ws(v);
  if (f.size() < 3) return bad(line_no, "crypto needs <tag> <suite> <key-params>");
  auto tag = parse_int(f[0], 0, 999'999'999);
  if (!tag) return bad(line_no, "bad crypto tag");
  if (!f[2].starts_with("inline:")) return bad(line_no, "crypto key method must be inline");
  CryptoAttribute c;
  c.tag = *tag;
  c.suite = std::string(f[1]);
  c.key_params = std::string(f[2]);
  for (std::size_t i = 3; i < f.size(); ++i) {
    if (!c.session_params.empty()) c.session_params += ' ';
    c.session_params += f[i];
  }
  m.crypto.push_back(std::move(c));
  return {};
}

// Media-level attribute; fmtp lines are folded into rtpmaps after the section ends.
Status parse_media_attribute(MediaDescription& m, std::vector<std::pair<int, std::string>>& fmtps,
                             std::string_view name, std::optional<std::string_view> value,
                             std::size_t line_no) {
  if (auto d = direction_from(name); d && !value) {
    m.direction = d;
  } else if (name == "rtpmap" && value) {
    return parse_rtpmap(m, *value, line_no);
  } else if (name == "fmtp" && value) {
    auto sp = value->find(' ');
    auto pt = parse_int(value->substr(0, sp), 0, 127);
    if (!pt) return bad(line_no, "bad fmtp payload type");
    fmtps.emplace_back(
        *pt, sp == std::string_view::npos ? "" : std::string(trim(value->substr(sp + 1))));
  } else if (name == "ptime" && value) {
    auto t = parse_int(*value, 1, 1000);
    if (!t) return bad(line_no, "bad ptime '" + clip(*value) + "'");
    m.ptime = *t;
  } else if (name == "maxptime" && value) {
    auto t = parse_int(*value, 1, 1000);
    if (!t) return bad(line_no, "bad maxptime");
    m.maxptime = *t;
  } else if (name == "rtcp-mux" && !value) {
    m.rtcp_mux = true;
  } else if (name == "rtcp" && value) {
    auto p = parse_int(split_ws(*value).empty() ? *value : split_ws(*value)[0], 0, 65535);
    if (!p) return bad(line_no, "bad rtcp port");
    m.rtcp_port = static_cast<std::uint16_t>(*p);
  } else if (name == "crypto" && value) {
    return parse_crypto(m, *value, line_no);
  } else {
    if (m.other.size() >= kMaxSdpAttributesPerSection) return bad(line_no, "too many attributes");
    m.other.push_back(
        {std::string(name), value ? std::optional<std::string>(*value) : std::nullopt});
  }
  return {};
}

Status finish_media(MediaDescription& m, std::vector<std::pair<int, std::string>>& fmtps,
                    std::size_t line_no) {
  for (auto& [pt, params] : fmtps) {
    bool found = false;
    for (auto& r : m.rtpmaps) {
      if (r.payload_type == pt) {
        r.fmtp = params;
        found = true;
      }
    }
    // fmtp for a static payload type without rtpmap: materialise the rtpmap.
    if (!found) {
      if (auto r = m.rtpmap_for(pt)) {
        r->fmtp = params;
        m.rtpmaps.push_back(*r);
      }
    }
  }
  fmtps.clear();
  // A rejected stream (port 0) often echoes a dynamic type without its rtpmap; it will
  // never carry media, so only active streams must map every dynamic type.
  for (int f : m.formats) {
    if (m.port != 0 && f >= 96 && !m.rtpmap_for(f))
      return bad(line_no, "dynamic payload type " + std::to_string(f) + " has no rtpmap");
  }
  return {};
}

}  // namespace

std::string_view to_string(Direction d) {
  switch (d) {
    case Direction::kSendRecv: return "sendrecv";
    case Direction::kSendOnly: return "sendonly";
    case Direction::kRecvOnly: return "recvonly";
    case Direction::kInactive: return "inactive";
  }
  return "sendrecv";
}

Direction reverse(Direction d) {
  switch (d) {
    case Direction::kSendOnly: return Direction::kRecvOnly;
    case Direction::kRecvOnly: return Direction::kSendOnly;
    default: return d;
  }
}

std::optional<RtpMap> MediaDescription::rtpmap_for(int payload_type) const {
  for (const auto& r : rtpmaps) {
    if (r.payload_type == payload_type) return r;
  }
  switch (payload_type) {
    case 0: return RtpMap{0, "PCMU", 8000, 1, ""};
    case 8: return RtpMap{8, "PCMA", 8000, 1, ""};
    case 9: return RtpMap{9, "G722", 8000, 1, ""};
    default: return std::nullopt;
  }
}

Direction SessionDescription::direction_of(std::size_t i) const {
  if (i < media.size() && media[i].direction) return *media[i].direction;
  return direction.value_or(Direction::kSendRecv);
}

std::optional<Connection> SessionDescription::connection_of(std::size_t i) const {
  if (i < media.size() && media[i].connection) return media[i].connection;
  return connection;
}

Result<SessionDescription> parse_sdp(std::string_view text) {
  if (text.size() > kMaxSdpBytes) return fail(ErrorCode::kInvalidArgument, "sdp too large");
  if (text.empty()) return fail(ErrorCode::kInvalidArgument, "sdp is empty");
  SessionDescription sdp;
  bool have_v = false, have_o = false, have_s = false;
  MediaDescription* current = nullptr;
  std::vector<std::pair<int, std::string>> fmtps;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto eol = text.find('\n', pos);
    std::string_view line = text.substr(pos, eol == std::string_view::npos ? eol : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;  // tolerate a trailing blank line
    if (line.size() > kMaxSdpLineBytes) return bad(line_no, "line too long");
    if (line.size() < 2 || line[1] != '=') return bad(line_no, "expected '<type>=<value>'");
    const char type = line[0];
    const std::string_view value = line.substr(2);
    if (!have_v) {
      if (type != 'v' || value != "0") return bad(line_no, "first line must be v=0");
      have_v = true;
      continue;
    }
    switch (type) {
      case 'o': {
        auto f = split_ws(value);
        if (f.size() != 6) return bad(line_no, "o= needs 6 fields");
        auto id = parse_u64(f[1]);
        auto ver = parse_u64(f[2]);
        if (!id || !ver) return bad(line_no, "bad session id or version");
        auto c = parse_connection(
            std::string(f[3]) + " " + std::string(f[4]) + " " + std::string(f[5]), line_no);
        if (!c) return std::unexpected(c.error());
        sdp.origin_user = std::string(f[0]);
        sdp.session_id = *id;
        sdp.session_version = *ver;
        sdp.origin = *c;
        have_o = true;
        break;
      }
      case 's':  // RFC 4566 wants a name; phones often send "s=", read as "-"
        sdp.session_name = value.empty() ? std::string("-") : std::string(value);
        have_s = true;
        break;
      case 'c': {
        auto c = parse_connection(value, line_no);
        if (!c) return std::unexpected(c.error());
        (current ? current->connection : sdp.connection) = *c;
        break;
      }
      case 'm': {
        if (current) {
          if (auto st = finish_media(*current, fmtps, line_no); !st)
            return std::unexpected(st.error());
        }
        if (sdp.media.size() >= kMaxSdpMediaSections) return bad(line_no, "too many m= lines");
        auto m = parse_media_line(value, line_no);
        if (!m) return std::unexpected(m.error());
        sdp.media.push_back(std::move(*m));
        current = &sdp.media.back();
        break;
      }
      case 'a': {
        auto colon = value.find(':');
        std::string_view name = value.substr(0, colon);
        std::optional<std::string_view> v;
        if (colon != std::string_view::npos) v = value.substr(colon + 1);
        if (name.empty()) return bad(line_no, "empty attribute name");
        if (current) {
          if (auto st = parse_media_attribute(*current, fmtps, name, v, line_no); !st)
            return std::unexpected(st.error());
        } else if (auto d = direction_from(name); d && !v) {
          sdp.direction = d;
        } else {
          if (sdp.other.size() >= kMaxSdpAttributesPerSection)
            return bad(line_no, "too many attributes");
          sdp.other.push_back(
              {std::string(name), v ? std::optional<std::string>(*v) : std::nullopt});
        }
        break;
      }
      case 'v': return bad(line_no, "repeated v=");
      // Informational or timing fields we accept and do not model.
      case 'i':
      case 'u':
      case 'e':
      case 'p':
      case 'b':
      case 't':
      case 'r':
      case 'z':
      case 'k': break;
      default: return bad(line_no, std::string("unknown line type '") + type + "'");
    }
  }
  if (current) {
    if (auto st = finish_media(*current, fmtps, line_no); !st) return std::unexpected(st.error());
  }
  if (!have_v) return fail(ErrorCode::kInvalidArgument, "sdp: missing v=");
  if (!have_o) return fail(ErrorCode::kInvalidArgument, "sdp: missing o=");
  if (!have_s) return fail(ErrorCode::kInvalidArgument, "sdp: missing s=");
  for (std::size_t i = 0; i < sdp.media.size(); ++i) {
    if (sdp.media[i].port != 0 && !sdp.connection_of(i))
      return fail(ErrorCode::kInvalidArgument,
                  "sdp: media section " + std::to_string(i + 1) + " has no c= line");
  }
  return sdp;
}

namespace {
void append_connection(std::string& out, const Connection& c) {
  out += "c=" + c.net_type + " " + c.addr_type + " " + c.address + "\r\n";
}
void append_attribute(std::string& out, const Attribute& a) {
  out += "a=" + a.name;
  if (a.value) out += ":" + *a.value;
  out += "\r\n";
}
}  // namespace

std::string to_string(const SessionDescription& sdp) {
  std::string out = "v=0\r\n";
  out += "o=" + sdp.origin_user + " " + std::to_string(sdp.session_id) + " " +
         std::to_string(sdp.session_version) + " " + sdp.origin.net_type + " " +
         sdp.origin.addr_type + " " + sdp.origin.address + "\r\n";
  out += "s=" + (sdp.session_name.empty() ? std::string("-") : sdp.session_name) + "\r\n";
  if (sdp.connection) append_connection(out, *sdp.connection);
  out += "t=0 0\r\n";
  if (sdp.direction) out += "a=" + std::string(to_string(*sdp.direction)) + "\r\n";
  for (const auto& a : sdp.other) append_attribute(out, a);
  for (const auto& m : sdp.media) {
    out += "m=" + m.media + " " + std::to_string(m.port);
    if (m.port_count > 1) out += "/" + std::to_string(m.port_count);
    out += " " + m.proto;
    for (int f : m.formats) out += " " + std::to_string(f);
    for (const auto& f : m.other_formats) out += " " + f;
    out += "\r\n";
    if (m.connection) append_connection(out, *m.connection);
    for (const auto& r : m.rtpmaps) {
      out += "a=rtpmap:" + std::to_string(r.payload_type) + " " + r.encoding + "/" +
             std::to_string(r.clock_rate);
      if (r.channels > 1) out += "/" + std::to_string(r.channels);
      out += "\r\n";
      if (!r.fmtp.empty())
        out += "a=fmtp:" + std::to_string(r.payload_type) + " " + r.fmtp + "\r\n";
    }
    if (m.ptime) out += "a=ptime:" + std::to_string(*m.ptime) + "\r\n";
    if (m.maxptime) out += "a=maxptime:" + std::to_string(*m.maxptime) + "\r\n";
    if (m.rtcp_port) out += "a=rtcp:" + std::to_string(*m.rtcp_port) + "\r\n";
    if (m.rtcp_mux) out += "a=rtcp-mux\r\n";
    for (const auto& c : m.crypto) {
      out += "a=crypto:" + std::to_string(c.tag) + " " + c.suite + " " + c.key_params;
      if (!c.session_params.empty()) out += " " + c.session_params;
      out += "\r\n";
    }
    if (m.direction) out += "a=" + std::string(to_string(*m.direction)) + "\r\n";
    for (const auto& a : m.other) append_attribute(out, a);
  }
  return out;
}

}  // namespace hotline::media
