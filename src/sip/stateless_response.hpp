// Answers for requests the parser refused (RFC 3261 §8.2.2, §21.4): a response is
// built from the raw bytes alone — the Via, From, To, Call-ID and CSeq lines are
// copied verbatim — so a UA that sent a malformed request still learns why. The
// parser's reason travels in a Warning header (code 399).
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hotline::sip {

// The standard reason phrase for a status code ("Bad Request"); "Unknown" if none.
std::string_view reason_phrase(int status);

// REQUIRES: 300 <= status <= 699. Returns nullopt when `raw` does not start like a
// request or lacks a Via, From, To, Call-ID or CSeq line (then it is dropped).
std::optional<std::string> stateless_error_response(std::string_view raw, int status,
                                                    std::string_view warning);

}  // namespace hotline::sip
