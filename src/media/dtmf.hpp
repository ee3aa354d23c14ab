// DTMF digits as media reports them, whichever path they arrived by, and the RFC 4733
// event-code mapping. Plain values; thread-safe.
#pragma once

#include <cstdint>
#include <optional>

namespace hotline::media {

enum class DtmfSource { kRfc4733, kInband };

struct DtmfDigit {
  char digit = '0';     // 0-9, *, #, A-D
  int duration_ms = 0;  // how long the key was held, as signalled or measured
  DtmfSource source = DtmfSource::kRfc4733;
  bool operator==(const DtmfDigit&) const = default;
};

// RFC 4733 §3.2 event codes 0-15 <-> characters; nullopt for anything else.
std::optional<char> dtmf_char_from_event(int event);
std::optional<int> dtmf_event_from_char(char digit);

}  // namespace hotline::media
