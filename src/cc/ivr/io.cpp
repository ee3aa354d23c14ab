#include "cc/ivr/io.hpp"

#include <fmt/format.h>

namespace hotline::cc::ivr {

namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};

std::string digit_text(char c) {
  return c == '\0' ? std::string("none") : std::string(1, c);
}

}  // namespace

bool is_terminal(const Command& command) {
  return std::holds_alternative<RouteToQueue>(command) ||
         std::holds_alternative<RouteToExtension>(command) ||
         std::holds_alternative<TransferToNumber>(command) ||
         std::holds_alternative<RouteToVoicemail>(command) ||
         std::holds_alternative<Hangup>(command);
}

std::string describe(const Command& command) {
  return std::visit(
      Overloaded{
          [](const PlayFile& c) {
            return fmt::format("play file '{}' (prompt {}{})", c.file, c.id,
                               c.barge_in ? ", barge-in" : "");
          },
          [](const PlayTts& c) {
            return fmt::format("play tts '{}' voice '{}' language '{}' (prompt {}{})", c.text,
                               c.voice, c.language, c.id, c.barge_in ? ", barge-in" : "");
          },
          [](const StopPrompt& c) { return fmt::format("stop prompt {}", c.id); },
          [](const CollectDigits& c) {
            return fmt::format("collect {}..{} digits, terminator {}", c.min_digits, c.max_digits,
                               digit_text(c.terminator));
          },
          [](const StartTimer& c) {
            return fmt::format("start timer {} due at {}us", c.id,
                               c.deadline.time_since_epoch().count());
          },
          [](const CancelTimer& c) { return fmt::format("cancel timer {}", c.id); },
          [](const HttpGet& c) {
            return fmt::format(
                "http get {} '{}' timeout {}ms", c.id, c.url,
                std::chrono::duration_cast<std::chrono::milliseconds>(c.timeout).count());
          },
          [](const CancelHttp& c) { return fmt::format("cancel http {}", c.id); },
          [](const RequestCallback& c) {
            return fmt::format("request callback to '{}' via queue '{}'", c.number, c.queue);
          },
          [](const RouteToQueue& c) {
            std::string skills;
            for (const auto& [s, l] : c.skills) skills += fmt::format(" {}>={}", s, l);
            return fmt::format("route to queue '{}' priority {}{}", c.queue, c.priority, skills);
          },
          [](const RouteToExtension& c) {
            return fmt::format("route to extension '{}'", c.extension);
          },
          [](const TransferToNumber& c) { return fmt::format("transfer to '{}'", c.number); },
          [](const RouteToVoicemail& c) { return fmt::format("voicemail box '{}'", c.box); },
          [](const Hangup& c) { return fmt::format("hang up ({})", c.cause); },
      },
      command);
}

std::string describe(const Event& event) {
  return std::visit(
      Overloaded{
          [](const DigitReceived& e) { return fmt::format("digit {}", digit_text(e.digit)); },
          [](const DigitsCollected& e) { return fmt::format("digits '{}'", e.digits); },
          [](const PromptFinished& e) {
            return fmt::format("prompt {} {}", e.id, e.failed ? "failed" : "finished");
          },
          [](const TimerFired& e) { return fmt::format("timer {} fired", e.id); },
          [](const HttpResponse& e) {
            return fmt::format("http {} status {} ({} bytes)", e.id, e.status, e.body.size());
          },
          [](const HttpFailed& e) { return fmt::format("http {} failed: {}", e.id, e.reason); },
          [](const CallerHungUp&) { return std::string("caller hung up"); },
      },
      event);
}

std::string_view to_string(TraceEntry::Kind kind) {
  switch (kind) {
    case TraceEntry::Kind::kNodeEntered: return "node";
    case TraceEntry::Kind::kCommand: return "command";
    case TraceEntry::Kind::kEvent: return "event";
    case TraceEntry::Kind::kIgnored: return "ignored";
    case TraceEntry::Kind::kVariable: return "variable";
    case TraceEntry::Kind::kDecision: return "decision";
    case TraceEntry::Kind::kEnded: return "ended";
  }
  return "?";
}

}  // namespace hotline::cc::ivr
