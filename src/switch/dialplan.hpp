// The dial plan: ordered rules on the dialled number (DID or extension), the
// caller's number and where the call came from, each routing to an IVR flow, a
// queue, an extension, voicemail, a trunk, or a rejection. The first rule that
// matches wins. A rule can carry a tracking *source* label ("google-ads") that
// follows the call into its record.
//
// Numbers are compared after normalisation (numbering.hpp): a rule written
// "415 555 0100" matches a carrier's "+14155550100".
//
// Thread-safety: an immutable value once loaded; share it as shared_ptr<const>.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config_reader.hpp"
#include "switch/numbering.hpp"

namespace hotline::sw {

// How a rule looks at one number.
struct NumberMatch {
  enum class Kind { kAny, kExact, kPrefix, kPattern, kList };
  Kind kind = Kind::kAny;
  std::vector<std::string> values;  // one for exact/prefix/pattern; several for a list

  // Patterns use the notation telephony admins know from Asterisk: X = 0-9, Z = 1-9,
  // N = 2-9, [1-5,7] a set, '.' one or more of anything, '!' zero or more; anything
  // else (digits, '+', '*', '#') is literal. "1XXX" matches four-digit numbers
  // starting with 1.
  bool matches(std::string_view number) const;
};

// Where a matching call goes.
struct Target {
  enum class Kind { kIvr, kQueue, kExtension, kVoicemail, kTrunk, kReject };
  Kind kind = Kind::kReject;
  // Flow, queue, extension, mailbox or trunk name. For kExtension and kVoicemail an
  // empty name means "the dialled number" (a rule for a whole extension range).
  std::string name;
  int reject_status = 404;  // kReject: the SIP status to answer
};

std::string_view to_string(Target::Kind kind);

struct DialRule {
  std::string name;               // for logs and events ("rule 3" when not named)
  NumberMatch number;             // the dialled number / DID
  NumberMatch caller;             // the caller's number
  std::vector<std::string> from;  // "extension", "trunk" or "trunk:<name>"; empty: any
  Target target;
  std::string source;  // tracking label, "" for none
  // For trunk targets: digits removed from the front of the dialled number, then
  // text put before it ("strip: 1, prepend: '+44'").
  int strip = 0;
  std::string prepend;
  // IVR targets: the prompts play as early media (183 with SDP) and the call is
  // answered only when the flow hands it on (to a device, a queue, voicemail).
  bool early_media = false;
};

// The call as the dial plan sees it.
struct CallInfo {
  Number dialled;
  Number caller;
  std::string origin;  // "extension" or "trunk:<name>"
};

struct Route {
  const DialRule* rule = nullptr;
  std::size_t rule_index = 0;
  Target target;       // name resolved (an empty extension name is the dialled number)
  std::string number;  // the number to dial on (after strip/prepend for trunks)
};

class DialPlan {
 public:
  DialPlan() = default;
  DialPlan(std::vector<DialRule> rules, NumberingPlan numbering)
      : rules_(std::move(rules)), numbering_(std::move(numbering)) {}

  // The first matching rule's route; nullopt when none matches (the switch answers
  // 404 and counts it).
  std::optional<Route> route(const CallInfo& call) const;

  const std::vector<DialRule>& rules() const { return rules_; }
  const NumberingPlan& numbering() const { return numbering_; }

 private:
  std::vector<DialRule> rules_;
  NumberingPlan numbering_;
};

// What a loaded dial plan may refer to, so a typo is a load error, not a 404 at
// 3 a.m. Empty lists are not checked (the caller does not know them yet).
struct DialPlanNames {
  std::vector<std::string> ivr_flows;
  std::vector<std::string> queues;
  std::vector<std::string> trunks;
};

// Reads `numbering` (a map, optional) and `dialplan` (a list of rules) from their
// nodes; errors with file:line:col go to the nodes' ConfigErrors.
DialPlan read_dial_plan(const ConfigNode& dialplan, const ConfigNode& numbering,
                        const DialPlanNames& names);

}  // namespace hotline::sw
