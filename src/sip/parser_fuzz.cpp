// libFuzzer target for the SIP parser, the lazy header accessors, the serializer
// round trip and the stream framer. Any crash, sanitizer report, hang or broken
// invariant (abort) is a bug. See docs/sip.md for how to run it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sip/framer.hpp"
#include "sip/message.hpp"
#include "sip/serializer.hpp"

namespace {

using namespace hotline::sip;

void check(bool ok) {
  if (!ok) std::abort();
}

void exercise(const Message& m) {
  (void)m.routes();
  (void)m.record_routes();
  for (HeaderId id :
       {HeaderId::kAccept, HeaderId::kSupported, HeaderId::kRequire, HeaderId::kAllow}) {
    (void)m.header_values(id);
  }
  for (const Via& v : m.vias()) (void)v.params.all();
  for (const NameAddr& c : m.contacts().entries) {
    (void)c.display_name_text();
    (void)c.uri.user_unescaped();
    (void)c.uri.params.all();
  }
  (void)m.from().display_name_text();
  (void)m.request_uri().user_unescaped();
  (void)m.header("X-Unknown");
  if (auto d = m.header(HeaderId::kDate)) (void)check_sip_date(*d);

  // Contract of the serializer: the canonical form parses to the same fields.
  auto again = MessageBuilder::copy_of(m).build();
  check(again.has_value());
  check(again->is_request() == m.is_request());
  check(again->method() == m.method());
  check(again->status_code() == m.status_code());
  check(again->call_id() == m.call_id());
  check(again->cseq().number == m.cseq().number);
  check(again->vias().size() == m.vias().size());
  check(again->contacts().entries.size() == m.contacts().entries.size());
  check(again->body() == m.body());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  ParseOptions datagram;
  datagram.max_message_size = 8 * 1024;
  if (auto m = parse_message(std::string(input), datagram)) {
    check(m->wire().size() + m->discarded_trailing_bytes() <= input.size());
    exercise(*m);
  }

  // Stream: feed the same bytes in chunks sized by the first byte, consume frames.
  ParseOptions stream = datagram;
  stream.framing = Framing::kStream;
  StreamFramer framer(stream);
  const std::size_t chunk = size == 0 ? 1 : 1 + data[0] % 64;
  std::size_t consumed = 0;
  std::size_t available = 0;
  while (consumed < size) {
    available = std::min(size, available + chunk);
    Frame f = framer.next(input.substr(consumed, available - consumed));
    while (f.status == FrameStatus::kMessage || f.status == FrameStatus::kKeepAlive) {
      check(f.length > 0 && consumed + f.length <= available);
      if (f.status == FrameStatus::kMessage) {
        auto m = parse_message(std::string(input.substr(consumed, f.length)), stream);
        if (m) exercise(*m);
      }
      consumed += f.length;
      f = framer.next(input.substr(consumed, available - consumed));
    }
    if (f.status == FrameStatus::kError) break;
    if (available == size) break;
  }
  return 0;
}
