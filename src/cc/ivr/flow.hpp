// The IVR flow model: a named graph of nodes, loaded from YAML (flow_loader.hpp) and
// interpreted per call by ivr::Session. A Flow is immutable once loaded and shared
// as std::shared_ptr<const Flow>: a reload builds new Flows, calls in progress keep
// the snapshot they started with (flow_registry.hpp).
//
// Invariants of a loaded Flow (the loader refuses anything else): every NodeIndex
// is valid, every node is reachable from `start`, a terminal node (queue, extension,
// transfer, voicemail, callback, hangup) is reachable from every node, and no cycle
// consists only of nodes that do not wait (set, branch, caller_list, hours).
//
// Thread-safety: immutable after loading; safe to read from any thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/clock.hpp"

namespace hotline::cc::ivr {

using NodeIndex = std::uint32_t;
inline constexpr NodeIndex kNoNode = UINT32_MAX;

// Something to say: a recorded file or text for speech synthesis. Text may hold
// ${variable} references, filled in when the prompt is played.
struct Prompt {
  std::string file;
  std::string tts;
  std::string voice;     // synthesis voice, e.g. "en-us"; empty = the switch's default
  std::string language;  // e.g. "en"; empty = the switch's default
  bool empty() const { return file.empty() && tts.empty(); }
};

struct PlayNode {
  Prompt prompt;
  bool barge_in = false;  // a key pressed during the prompt stops it and is kept
  NodeIndex next = kNoNode;
};

// One key per choice: '0'-'9', '*', '#'.
struct MenuNode {
  Prompt prompt;
  std::map<char, NodeIndex> choices;
  Duration timeout = std::chrono::seconds(5);  // after the prompt ends
  std::uint32_t attempts = 3;                  // tries before `fallback`
  Prompt invalid_prompt;                       // optional
  Prompt timeout_prompt;                       // optional
  NodeIndex fallback = kNoNode;
};

struct CollectNode {
  Prompt prompt;  // optional
  std::uint32_t min_digits = 1;
  std::uint32_t max_digits = 0;
  char terminator = '#';  // '\0' = none
  Duration first_digit_timeout = std::chrono::seconds(5);
  Duration inter_digit_timeout = std::chrono::seconds(3);
  std::string into;  // variable receiving the digits
  std::uint32_t attempts = 3;
  Prompt invalid_prompt;  // optional
  NodeIndex next = kNoNode;
  NodeIndex fallback = kNoNode;
};

// Minutes since local midnight, [start, end), end <= 1440.
struct TimeRange {
  int start = 0;
  int end = 0;
};

struct HoursNode {
  std::string timezone;
  std::array<std::vector<TimeRange>, 7> week;  // [0] = Monday … [6] = Sunday
  std::vector<std::chrono::year_month_day> holidays;
  NodeIndex open = kNoNode;
  NodeIndex closed = kNoNode;
  NodeIndex holiday = kNoNode;  // defaults to `closed` when not configured
};

// Caller numbers: exact entries, and prefixes (written with a trailing '*').
struct NumberList {
  std::vector<std::string> numbers;
  std::vector<std::string> prefixes;
  bool matches(std::string_view caller) const;
};

struct CallerListNode {
  std::vector<std::pair<std::string, NodeIndex>> cases;  // list name -> node, first match wins
  NodeIndex otherwise = kNoNode;
};

struct BranchCase {
  enum class Op : std::uint8_t { kEquals, kPrefix, kRegex };
  Op op = Op::kEquals;
  std::string value;
  std::shared_ptr<const std::regex> regex;  // for kRegex; immutable, shared by snapshots
  NodeIndex next = kNoNode;
};

struct BranchNode {
  std::string variable;
  std::vector<BranchCase> cases;  // first match wins
  NodeIndex otherwise = kNoNode;
};

struct HttpNode {
  std::string url;  // template; ${variables} are percent-encoded
  Duration timeout = std::chrono::seconds(3);
  std::vector<std::pair<std::string, std::string>> store;  // variable -> JSON pointer
  NodeIndex next = kNoNode;
  NodeIndex failure = kNoNode;
};

struct SetNode {
  std::vector<std::pair<std::string, std::string>> assignments;  // variable -> template
  NodeIndex next = kNoNode;
};

struct QueueNode {
  std::string queue;
  int priority = 0;
  std::vector<std::pair<std::string, int>> skills;  // skill -> minimum level
};

struct ExtensionNode {
  std::string extension;
};

struct TransferNode {
  std::string number;  // template
};

struct VoicemailNode {
  std::string box;
};

// Capture a number to call back (empty entry = the caller's own number), confirm it
// with 1 (2 = enter again), then ask for the callback and hang up.
struct CallbackNode {
  Prompt prompt;
  Prompt confirm_prompt;  // may say ${callback_number}
  Prompt done_prompt;     // optional
  Prompt invalid_prompt;  // optional
  std::string queue;
  std::uint32_t min_digits = 6;
  std::uint32_t max_digits = 15;
  Duration timeout = std::chrono::seconds(5);
  std::uint32_t attempts = 3;
  NodeIndex fallback = kNoNode;
};

struct HangupNode {
  std::string cause = "normal";
};

using NodeBody = std::variant<PlayNode, MenuNode, CollectNode, HoursNode, CallerListNode,
                              BranchNode, HttpNode, SetNode, QueueNode, ExtensionNode, TransferNode,
                              VoicemailNode, CallbackNode, HangupNode>;

struct Node {
  std::string name;
  NodeBody body;
};

// Type names as written in YAML ("play", "menu", …), indexed like NodeBody.
std::string_view node_type_name(const NodeBody& body);
// Queue, extension, transfer, voicemail, callback, hangup: the call leaves the IVR.
bool is_terminal(const NodeBody& body);
// Set, branch, caller_list, hours: decided at once, without waiting for anything.
bool is_instant(const NodeBody& body);
// Every node this one can lead to (each once, in a fixed order).
std::vector<NodeIndex> successors(const NodeBody& body);

struct Flow {
  std::string name;
  std::vector<Node> nodes;
  NodeIndex start = kNoNode;
  std::map<std::string, NumberList, std::less<>> lists;
  std::uint32_t max_steps = 200;  // node entries per call before the session gives up

  NodeIndex find(std::string_view node_name) const;
};

// All flows of one configuration load, by name.
struct FlowSet {
  std::map<std::string, std::shared_ptr<const Flow>, std::less<>> flows;
  std::shared_ptr<const Flow> find(std::string_view name) const;
};

}  // namespace hotline::cc::ivr
