// GCC 12 with -fsanitize=address flags the std::function moves inside libstdc++'s
// std::regex compiler as maybe-uninitialized (a false positive in <regex>); with
// -Werror it would stop the sanitizer build. This file compiles the flows' regexes.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "cc/ivr/flow_loader.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "cc/ivr/flow_graph.hpp"
#include "cc/ivr/text_template.hpp"

namespace hotline::cc::ivr {

namespace {

using namespace std::chrono_literals;

constexpr std::string_view kTypes[] = {"play",     "menu",      "collect",  "hours", "caller_list",
                                       "branch",   "http",      "set",      "queue", "extension",
                                       "transfer", "voicemail", "callback", "hangup"};

constexpr std::string_view kBuiltins[] = {"caller", "did", "source", "call_id", "callback_number"};

bool valid_node_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

// ConfigNode::entries() of an absent key touches an invalid yaml-cpp node (which
// throws); an absent mapping simply has no entries.
std::vector<std::pair<std::string, ConfigNode>> entries_of(const ConfigNode& node) {
  if (!node.defined()) return {};
  return node.entries();
}

bool valid_key(char c) {
  return (c >= '0' && c <= '9') || c == '*' || c == '#';
}

// A string used as a template somewhere, checked once all assignments are known.
struct TemplateUse {
  ConfigNode where;
  std::string variable;
};

class FlowLoader {
 public:
  FlowLoader(std::string name, const ConfigNode& cfg, const LoadOptions& options,
             const ZoneResolver& zones)
      : cfg_(cfg), options_(options), zones_(zones) {
    flow_.name = std::move(name);
  }

  // nullptr when the flow has errors.
  std::shared_ptr<const Flow> load(const ConfigErrors& errors) {
    const std::size_t before = errors.size();
    if (!cfg_.expect_keys({"description", "start", "nodes", "lists", "max_steps"})) return nullptr;
    std::int64_t max_steps = flow_.max_steps;
    cfg_.read_int("max_steps", max_steps, 1, 100'000);
    flow_.max_steps = static_cast<std::uint32_t>(max_steps);
    read_lists();

    const ConfigNode nodes = cfg_.child("nodes");
    if (!nodes.defined()) {
      nodes.error("a flow needs nodes");
      return nullptr;
    }
    auto entries = entries_of(nodes);
    if (entries.size() > kMaxNodesPerFlow) {
      nodes.error(fmt::format("too many nodes ({}, at most {})", entries.size(), kMaxNodesPerFlow));
      return nullptr;
    }
    // First pass: names, so that references may point forward.
    for (auto& [node_name, node_cfg] : entries) {
      if (!valid_node_name(node_name)) {
        node_cfg.error(fmt::format("bad node name '{}' (letters, digits, '_' and '-', at most 64)",
                                   node_name));
      }
      if (flow_.find(node_name) != kNoNode) {
        node_cfg.error(fmt::format("duplicate node '{}'", node_name));
        continue;
      }
      flow_.nodes.push_back(Node{node_name, HangupNode{}});
      node_cfgs_.push_back(node_cfg);
      names_.push_back(node_name);
    }
    std::string start;
    if (!cfg_.read_string("start", start)) {
      cfg_.child("start").error("a flow needs a start node");
    } else {
      flow_.start = resolve(cfg_.child("start"), start);
    }
    for (std::size_t i = 0; i < flow_.nodes.size(); ++i) {
      flow_.nodes[i].body = read_node(node_cfgs_[i]);
    }
    check_variables();
    if (errors.size() == before) check_graph();
    if (errors.size() != before) return nullptr;
    return std::make_shared<const Flow>(std::move(flow_));
  }

 private:
  // --- references and prompts ----------------------------------------------

  NodeIndex resolve(const ConfigNode& where, const std::string& target) {
    const NodeIndex n = flow_.find(target);
    if (n != kNoNode) return n;
    std::string msg = fmt::format("unknown node '{}'", target);
    const std::vector<std::string_view> names(names_.begin(), names_.end());
    if (auto hint = closest_match(target, names))
      msg += fmt::format(" (did you mean '{}'?)", *hint);
    where.error(std::move(msg));
    return kNoNode;
  }

  NodeIndex ref(const ConfigNode& node, std::string_view key, bool required = true) {
    std::string target;
    if (!node.read_string(key, target)) {
      if (required) node.child(key).error(fmt::format("missing '{}': the node to go to", key));
      return kNoNode;
    }
    return resolve(node.child(key), target);
  }

  Prompt prompt(const ConfigNode& node, std::string_view key, bool required) {
    Prompt p;
    const ConfigNode c = node.child(key);
    if (!c.defined()) {
      if (required) c.error(fmt::format("missing '{}': a prompt (file or tts)", key));
      return p;
    }
    if (!c.expect_keys({"file", "tts", "voice", "language"})) return p;
    c.read_string("file", p.file);
    c.read_string("tts", p.tts);
    c.read_string("voice", p.voice);
    c.read_string("language", p.language);
    if (p.file.empty() == p.tts.empty()) {
      c.error("a prompt has exactly one of 'file' (a recording) or 'tts' (text to synthesize)");
      return p;
    }
    if (!p.file.empty()) {
      if (!p.voice.empty() || !p.language.empty()) {
        c.error("'voice' and 'language' apply to 'tts' prompts only");
      }
      if (options_.prompt_exists && !options_.prompt_exists(p.file)) {
        c.child("file").error(fmt::format("prompt file '{}' does not exist", p.file));
      }
    } else {
      uses(c.child("tts"), p.tts);
    }
    return p;
  }

  // Records the variables a template reads, for check_variables().
  void uses(const ConfigNode& where, const std::string& tmpl) {
    auto vars = template_variables(tmpl);
    if (!vars) {
      where.error(vars.error().message);
      return;
    }
    for (auto& v : *vars) used_.push_back(TemplateUse{where, std::move(v)});
  }

  void assigns(const ConfigNode& where, const std::string& variable) {
    if (!valid_variable_name(variable)) {
      where.error(
          fmt::format("bad variable name '{}' (letters, digits and _; not starting with "
                      "a digit)",
                      variable));
      return;
    }
    if (is_builtin_variable(variable) && variable != "callback_number") {
      where.error(fmt::format("'{}' is a built-in variable and cannot be set", variable));
      return;
    }
    assigned_.insert(variable);
  }

  std::uint32_t read_count(const ConfigNode& node, std::string_view key, std::uint32_t dflt,
                           std::int64_t min, std::int64_t max) {
    std::int64_t v = dflt;
    node.read_int(key, v, min, max);
    return static_cast<std::uint32_t>(v);
  }

  Duration read_timeout(const ConfigNode& node, std::string_view key, Duration dflt) {
    Duration d = dflt;
    node.read_duration(key, d, 100ms, 10min);
    return d;
  }

  std::string required_string(const ConfigNode& node, std::string_view key, std::string_view what) {
    std::string s;
    if (!node.read_string(key, s) || s.empty()) {
      node.child(key).error(fmt::format("missing '{}': {}", key, what));
    }
    return s;
  }

  // --- nodes -------------------------------------------------------------

  NodeBody read_node(const ConfigNode& node) {
    std::string type;
    if (!node.expect_map()) return HangupNode{};
    if (!node.read_string("type", type)) {
      node.child("type").error(
          "missing 'type' (one of play, menu, collect, hours, caller_list, "
          "branch, http, set, queue, extension, transfer, voicemail, "
          "callback, hangup)");
      return HangupNode{};
    }
    if (type == "play") return read_play(node);
    if (type == "menu") return read_menu(node);
    if (type == "collect") return read_collect(node);
    if (type == "hours") return read_hours(node);
    if (type == "caller_list") return read_caller_list(node);
    if (type == "branch") return read_branch(node);
    if (type == "http") return read_http(node);
    if (type == "set") return read_set(node);
    if (type == "queue") return read_queue(node);
    if (type == "extension") {
      node.expect_keys({"type", "description", "extension"});
      return ExtensionNode{required_string(node, "extension", "the extension to ring")};
    }
    if (type == "transfer") {
      node.expect_keys({"type", "description", "number"});
      TransferNode t{required_string(node, "number", "the number to transfer to")};
      uses(node.child("number"), t.number);
      return t;
    }
    if (type == "voicemail") {
      node.expect_keys({"type", "description", "box"});
      return VoicemailNode{required_string(node, "box", "the voicemail box")};
    }
    if (type == "callback") return read_callback(node);
    if (type == "hangup") {
      node.expect_keys({"type", "description", "cause"});
      HangupNode h;
      node.read_string("cause", h.cause);
      return h;
    }
    node.child("type").error(ConfigNode::unknown_choice_message("node type", type, kTypes));
    return HangupNode{};
  }

  PlayNode read_play(const ConfigNode& node) {
    node.expect_keys({"type", "description", "prompt", "barge_in", "next"});
    PlayNode p;
    p.prompt = prompt(node, "prompt", true);
    node.read_bool("barge_in", p.barge_in);
    p.next = ref(node, "next");
    return p;
  }

  MenuNode read_menu(const ConfigNode& node) {
    node.expect_keys({"type", "description", "prompt", "choices", "timeout", "attempts",
                      "invalid_prompt", "timeout_prompt", "fallback"});
    MenuNode m;
    m.prompt = prompt(node, "prompt", true);
    m.invalid_prompt = prompt(node, "invalid_prompt", false);
    m.timeout_prompt = prompt(node, "timeout_prompt", false);
    m.timeout = read_timeout(node, "timeout", m.timeout);
    m.attempts = read_count(node, "attempts", m.attempts, 1, 10);
    m.fallback = ref(node, "fallback");
    const ConfigNode choices = node.child("choices");
    if (!choices.defined()) {
      choices.error("missing 'choices': key -> node, e.g. \"1\": sales");
      return m;
    }
    for (const auto& [key, target_cfg] : entries_of(choices)) {
      if (key.size() != 1 || !valid_key(key[0])) {
        target_cfg.error(fmt::format("bad digit key '{}': a choice is one key, 0-9, * or #", key));
        continue;
      }
      auto target = target_cfg.as_string();
      if (!target) {
        if (!target_cfg.defined()) target_cfg.error("a choice needs the node to go to");
        continue;
      }
      m.choices[key[0]] = resolve(target_cfg, *target);
    }
    if (m.choices.empty()) choices.error("a menu needs at least one choice");
    return m;
  }

  char read_terminator(const ConfigNode& node) {
    std::string t = "#";
    node.read_string("terminator", t);
    if (t == "none" || t.empty()) return '\0';
    if (t == "#" || t == "*") return t[0];
    node.child("terminator").error(fmt::format("bad terminator '{}': '#', '*' or 'none'", t));
    return '#';
  }

  CollectNode read_collect(const ConfigNode& node) {
    node.expect_keys({"type", "description", "prompt", "min_digits", "max_digits", "terminator",
                      "first_digit_timeout", "inter_digit_timeout", "into", "attempts",
                      "invalid_prompt", "next", "fallback"});
    CollectNode c;
    c.prompt = prompt(node, "prompt", false);
    c.invalid_prompt = prompt(node, "invalid_prompt", false);
    c.min_digits = read_count(node, "min_digits", c.min_digits, 1, kMaxDigits);
    if (!node.has("max_digits")) node.child("max_digits").error("missing 'max_digits'");
    c.max_digits = read_count(node, "max_digits", kMaxDigits, 1, kMaxDigits);
    if (c.max_digits < c.min_digits) {
      node.child("max_digits")
          .error(
              fmt::format("max_digits ({}) is below min_digits ({})", c.max_digits, c.min_digits));
    }
    c.terminator = read_terminator(node);
    c.first_digit_timeout = read_timeout(node, "first_digit_timeout", c.first_digit_timeout);
    c.inter_digit_timeout = read_timeout(node, "inter_digit_timeout", c.inter_digit_timeout);
    c.attempts = read_count(node, "attempts", c.attempts, 1, 10);
    c.into = required_string(node, "into", "the variable receiving the digits");
    if (!c.into.empty()) assigns(node.child("into"), c.into);
    c.next = ref(node, "next");
    c.fallback = ref(node, "fallback");
    return c;
  }

  HoursNode read_hours(const ConfigNode& node) {
    node.expect_keys(
        {"type", "description", "timezone", "schedule", "holidays", "open", "closed", "holiday"});
    HoursNode h;
    h.timezone = required_string(node, "timezone", "an IANA zone such as Europe/Paris, or UTC");
    if (!h.timezone.empty() && !zones_.utc_offset(h.timezone, Timestamp{})) {
      node.child("timezone").error(fmt::format("unknown time zone '{}'", h.timezone));
    }
    const ConfigNode schedule = node.child("schedule");
    if (!schedule.defined()) schedule.error("missing 'schedule': days -> HH:MM-HH:MM ranges");
    for (const auto& [days_text, ranges_cfg] : entries_of(schedule)) {
      auto days = parse_days(days_text);
      if (!days) {
        ranges_cfg.error(days.error().message);
        continue;
      }
      std::vector<std::string> texts;
      if (ranges_cfg.yaml().IsSequence()) {
        for (const auto& item : ranges_cfg.items()) {
          if (auto s = item.as_string()) texts.push_back(*s);
        }
      } else if (auto s = ranges_cfg.as_string()) {
        if (*s != "closed") texts.push_back(*s);
      }
      for (const auto& t : texts) {
        auto range = parse_time_range(t);
        if (!range) {
          ranges_cfg.error(range.error().message);
          continue;
        }
        for (int d : *days) h.week[static_cast<std::size_t>(d)].push_back(*range);
      }
    }
    const ConfigNode holidays = node.child("holidays");
    const bool named = holidays.defined() && holidays.yaml().IsScalar();
    if (named) {
      // A named calendar, shared with other flows and the WFM forecast.
      const std::string name = *holidays.as_string();
      const std::vector<std::string>* dates = options_.calendar ? options_.calendar(name) : nullptr;
      if (dates == nullptr) {
        std::vector<std::string_view> known(options_.calendar_names.begin(),
                                            options_.calendar_names.end());
        auto near = closest_match(name, known);
        holidays.error(
            near ? fmt::format("unknown holiday calendar '{}' (did you mean '{}'?)", name, *near)
                 : fmt::format("unknown holiday calendar '{}'", name));
      } else {
        for (const std::string& d : *dates) {
          if (auto date = parse_date(d)) h.holidays.push_back(*date);
        }
      }
    }
    for (const auto& item : named ? std::vector<ConfigNode>{} : holidays.items()) {
      auto s = item.as_string();
      if (!s) continue;
      auto date = parse_date(*s);
      if (!date) {
        item.error(date.error().message);
        continue;
      }
      h.holidays.push_back(*date);
    }
    h.open = ref(node, "open");
    h.closed = ref(node, "closed");
    h.holiday = node.has("holiday") ? ref(node, "holiday") : h.closed;
    return h;
  }

  CallerListNode read_caller_list(const ConfigNode& node) {
    node.expect_keys({"type", "description", "cases", "otherwise"});
    CallerListNode c;
    const ConfigNode cases = node.child("cases");
    if (!cases.defined()) cases.error("missing 'cases': list name -> node");
    std::vector<std::string_view> list_names;
    for (const auto& [name, list] : flow_.lists) list_names.push_back(name);
    for (const auto& [list, target_cfg] : entries_of(cases)) {
      if (!flow_.lists.contains(list)) {
        std::string msg = fmt::format("unknown caller list '{}'", list);
        if (auto hint = closest_match(list, list_names)) {
          msg += fmt::format(" (did you mean '{}'?)", *hint);
        }
        target_cfg.error(std::move(msg));
        continue;
      }
      if (auto target = target_cfg.as_string()) {
        c.cases.emplace_back(list, resolve(target_cfg, *target));
      }
    }
    c.otherwise = ref(node, "otherwise");
    return c;
  }

  BranchNode read_branch(const ConfigNode& node) {
    node.expect_keys({"type", "description", "variable", "cases", "otherwise"});
    BranchNode b;
    b.variable = required_string(node, "variable", "the variable to test");
    if (!b.variable.empty()) {
      used_.push_back(TemplateUse{node.child("variable"), b.variable});
    }
    const ConfigNode cases = node.child("cases");
    if (!cases.defined()) cases.error("missing 'cases': a list of {equals|prefix|regex, next}");
    for (const auto& item : cases.items()) {
      if (!item.expect_keys({"equals", "prefix", "regex", "next"})) continue;
      BranchCase bc;
      int ops = 0;
      if (item.read_string("equals", bc.value)) {
        bc.op = BranchCase::Op::kEquals;
        ++ops;
      }
      if (item.read_string("prefix", bc.value)) {
        bc.op = BranchCase::Op::kPrefix;
        ++ops;
      }
      if (item.read_string("regex", bc.value)) {
        bc.op = BranchCase::Op::kRegex;
        ++ops;
        try {
          bc.regex = std::make_shared<const std::regex>(bc.value, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
          item.child("regex").error(
              fmt::format("bad regular expression '{}': {}", bc.value, e.what()));
        }
      }
      if (ops != 1) item.error("a case has exactly one of 'equals', 'prefix' or 'regex'");
      bc.next = ref(item, "next");
      b.cases.push_back(std::move(bc));
    }
    b.otherwise = ref(node, "otherwise");
    return b;
  }

  HttpNode read_http(const ConfigNode& node) {
    node.expect_keys({"type", "description", "url", "timeout", "store", "next", "failure"});
    HttpNode h;
    h.url = required_string(node, "url", "the URL to GET, e.g. http://crm/lookup?n=${caller}");
    if (!h.url.empty()) {
      if (!h.url.starts_with("http://") && !h.url.starts_with("https://")) {
        node.child("url").error(
            fmt::format("bad URL '{}': it starts with http:// or https://", h.url));
      }
      uses(node.child("url"), h.url);
    }
    h.timeout = read_timeout(node, "timeout", h.timeout);
    for (const auto& [variable, ptr_cfg] : entries_of(node.child("store"))) {
      auto ptr = ptr_cfg.as_string();
      if (!ptr) continue;
      try {
        const nlohmann::json::json_pointer check(*ptr);
        (void)check;
      } catch (const nlohmann::json::exception&) {
        ptr_cfg.error(
            fmt::format("bad JSON pointer '{}': it is empty or starts with '/', e.g. "
                        "/account/balance",
                        *ptr));
        continue;
      }
      assigns(ptr_cfg, variable);
      h.store.emplace_back(variable, *ptr);
    }
    h.next = ref(node, "next");
    h.failure = ref(node, "failure");
    return h;
  }

  SetNode read_set(const ConfigNode& node) {
    node.expect_keys({"type", "description", "variables", "next"});
    SetNode s;
    const ConfigNode vars = node.child("variables");
    if (!vars.defined()) vars.error("missing 'variables': name -> value");
    for (const auto& [variable, value_cfg] : entries_of(vars)) {
      auto value = value_cfg.as_string();
      if (!value) continue;
      assigns(value_cfg, variable);
      uses(value_cfg, *value);
      s.assignments.emplace_back(variable, *value);
    }
    s.next = ref(node, "next");
    return s;
  }

  QueueNode read_queue(const ConfigNode& node) {
    node.expect_keys({"type", "description", "queue", "priority", "skills"});
    QueueNode q;
    q.queue = required_string(node, "queue", "the queue name");
    std::int64_t priority = 0;
    node.read_int("priority", priority, -1000, 1000);
    q.priority = static_cast<int>(priority);
    const ConfigNode skills = node.child("skills");
    for (const auto& [skill, level_cfg] : entries_of(skills)) {
      std::int64_t level = 1;
      if (skills.read_int(skill, level, 1, 10))
        q.skills.emplace_back(skill, static_cast<int>(level));
    }
    return q;
  }

  CallbackNode read_callback(const ConfigNode& node) {
    node.expect_keys({"type", "description", "prompt", "confirm_prompt", "done_prompt",
                      "invalid_prompt", "queue", "min_digits", "max_digits", "timeout", "attempts",
                      "fallback"});
    CallbackNode c;
    c.prompt = prompt(node, "prompt", true);
    c.confirm_prompt = prompt(node, "confirm_prompt", true);
    c.done_prompt = prompt(node, "done_prompt", false);
    c.invalid_prompt = prompt(node, "invalid_prompt", false);
    c.queue = required_string(node, "queue", "the queue that will call back");
    c.min_digits = read_count(node, "min_digits", c.min_digits, 1, kMaxDigits);
    c.max_digits = read_count(node, "max_digits", c.max_digits, 1, kMaxDigits);
    if (c.max_digits < c.min_digits) {
      node.child("max_digits")
          .error(
              fmt::format("max_digits ({}) is below min_digits ({})", c.max_digits, c.min_digits));
    }
    c.timeout = read_timeout(node, "timeout", c.timeout);
    c.attempts = read_count(node, "attempts", c.attempts, 1, 10);
    c.fallback = ref(node, "fallback");
    return c;
  }

  void read_lists() {
    for (const auto& [name, list_cfg] : entries_of(cfg_.child("lists"))) {
      NumberList list;
      for (const auto& item : list_cfg.items()) {
        auto s = item.as_string();
        if (!s) continue;
        std::string_view number = *s;
        const bool prefix = number.ends_with('*');
        if (prefix) number.remove_suffix(1);
        const bool ok = !number.empty() && std::all_of(number.begin(), number.end(), [](char ch) {
          return (ch >= '0' && ch <= '9') || ch == '+';
        });
        if (!ok) {
          item.error(
              fmt::format("bad number '{}': digits with an optional leading '+', and a "
                          "trailing '*' for a prefix",
                          *s));
          continue;
        }
        (prefix ? list.prefixes : list.numbers).emplace_back(number);
      }
      flow_.lists.emplace(name, std::move(list));
    }
  }

  // --- whole-flow checks ---------------------------------------------------

  void check_variables() {
    std::vector<std::string_view> known(std::begin(kBuiltins), std::end(kBuiltins));
    for (const auto& a : assigned_) known.push_back(a);
    for (const auto& use : used_) {
      if (is_builtin_variable(use.variable) || assigned_.contains(use.variable)) continue;
      std::string msg = fmt::format("variable '{}' is never set in this flow", use.variable);
      if (auto hint = closest_match(use.variable, known)) {
        msg += fmt::format(" (did you mean '{}'?)", *hint);
      }
      use.where.error(std::move(msg));
    }
  }

  void check_graph() { check_flow_graph(flow_, node_cfgs_); }

  ConfigNode cfg_;
  const LoadOptions& options_;
  const ZoneResolver& zones_;
  Flow flow_;
  std::vector<ConfigNode> node_cfgs_;
  std::vector<std::string> names_;  // node names, for "did you mean"
  std::set<std::string> assigned_;
  std::vector<TemplateUse> used_;
};

}  // namespace

bool is_builtin_variable(std::string_view name) {
  return std::find(std::begin(kBuiltins), std::end(kBuiltins), name) != std::end(kBuiltins);
}

FlowSet load_flows(const ConfigNode& flows, const LoadOptions& options,
                   const ConfigErrors& errors) {
  FlowSet set;
  const FixedOffsetZones fixed;
  const ZoneResolver& zones = options.zones ? *options.zones : fixed;
  if (!flows.defined()) {
    flows.error("no flows defined");
    return set;
  }
  for (const auto& [name, cfg] : entries_of(flows)) {
    if (!valid_node_name(name)) {
      cfg.error(fmt::format("bad flow name '{}' (letters, digits, '_' and '-')", name));
      continue;
    }
    FlowLoader loader(name, cfg, options, zones);
    if (auto flow = loader.load(errors)) set.flows.emplace(name, std::move(flow));
  }
  return set;
}

std::optional<FlowSet> load_flows_from_text(std::string_view text, const std::string& file,
                                            const LoadOptions& options, ConfigErrors& errors) {
  const std::size_t before = errors.size();
  auto doc = parse_yaml(text, file, errors);
  if (!doc) return std::nullopt;
  const ConfigNode root = ConfigNode::root(*doc, file, errors);
  if (!root.expect_keys({"flows"})) return std::nullopt;
  FlowSet set = load_flows(root.child("flows"), options, errors);
  if (errors.size() != before) return std::nullopt;
  return set;
}

}  // namespace hotline::cc::ivr
