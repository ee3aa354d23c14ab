// The B2BUA test fixture: caller alice, devices bob and carol (and dave) as real
// SIP user agents on an in-memory network, hotline's dialog layer driving the real
// B2BUA with the real media engine, a ManualClock that moves from deadline to
// deadline, and the events the B2BUA emits. Shared by the b2bua*_test.cpp files.
// Test-only.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>
#include <utility>
#include <vector>

#include "cc/ivr/flow_loader.hpp"
#include "sip/dialog_test_support.hpp"
#include "sip/stateless_response.hpp"
#include "support/test_support.hpp"
#include "switch/b2bua.hpp"

namespace hotline::sw::testing {

using sip::DialogId;
using sip::IncomingRequest;
using sip::Reply;
using sip::testing::kSdpA;
using sip::testing::kSdpB;
using sip::testing::Net;
using sip::testing::sdp;
using sip::testing::Ua;
using sip::testing::UserCall;

struct Event {
  std::string type;
  CallId call;
  nlohmann::json payload;
};

inline constexpr const char* kPlan = R"(
dialplan:
  - { name: blocked, number: "666", to: { reject: 403 } }
  - { name: extensions, number: { pattern: "10XX" }, from: extension, to: extension }
  - { name: support, number: "200", to: { queue: support } }
  - { name: menu, number: "100", to: { ivr: menu } }
  - { name: broken menu, number: "101", to: { ivr: gone } }
  - { name: early menu, number: "102", to: { ivr: menu }, early_media: true }
)";

inline constexpr const char* kFlows = R"(
flows:
  menu:
    start: welcome
    nodes:
      welcome:
        type: play
        prompt: { tts: "Welcome." }
        next: main
      main:
        type: menu
        prompt: { tts: "For Bob press 1, to queue press 2, to hang up press 3." }
        choices: { "1": bob, "2": support, "3": bye }
        timeout: 5s
        attempts: 2
        fallback: bye
      bob: { type: extension, extension: "1002" }
      support: { type: queue, queue: support }
      bye: { type: hangup }
)";

inline std::shared_ptr<const cc::ivr::FlowSet> load_flows(const char* text = kFlows) {
  ConfigErrors errors;
  auto flows = cc::ivr::load_flows_from_text(text, "flows.yaml", {}, errors);
  EXPECT_TRUE(flows.has_value()) << errors.to_string();
  return std::make_shared<const cc::ivr::FlowSet>(std::move(*flows));
}

inline DialPlan load_plan(const char* text = kPlan) {
  ConfigErrors errors;
  auto doc = parse_yaml(text, "plan.yaml", errors);
  EXPECT_TRUE(doc.has_value());
  auto root = ConfigNode::root(*doc, "plan.yaml", errors);
  DialPlan plan = read_dial_plan(root.child("dialplan"), root.child("numbering"), {});
  EXPECT_TRUE(errors.empty()) << errors.to_string();
  return plan;
}

// The media engine's events, collected from its threads for the test to hand
// to the B2BUA on the test's thread (as the server's loop does).
class MediaEvents {
 public:
  void push(const media::MediaEvent& e) {
    std::lock_guard lock(mu_);
    events_.push_back(e);
    cv_.notify_all();
  }
  // Waits (up to `limit`, a safety net only) until an event `kind` arrived, then
  // returns every event collected so far.
  std::vector<media::MediaEvent> wait_for(media::MediaEvent::Kind kind,
                                          std::chrono::milliseconds limit) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, limit, [&] {
      return std::any_of(events_.begin(), events_.end(),
                         [&](const media::MediaEvent& e) { return e.kind == kind; });
    });
    return std::exchange(events_, {});
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<media::MediaEvent> events_;
};

inline std::unique_ptr<media::MediaEngine> start_media(MediaEvents* sink = nullptr) {
  media::EngineConfig config;
  config.bind_address = "127.0.0.1";
  config.sdp_address = "127.0.0.1";
  std::tie(config.port_min, config.port_max) = hotline::testing::private_port_range();
  config.threads = 1;
  auto engine = media::MediaEngine::start(config, [sink](const media::MediaEvent& e) {
    if (sink != nullptr) sink->push(e);
  });
  EXPECT_TRUE(engine.has_value()) << engine.error().message;
  return std::move(*engine);
}

// hotline's side of the in-memory network: a B2BUA answering as `hot` (its
// Contact and domain), behind a dialog layer with seeded randomness.
inline std::unique_ptr<B2bua> make_b2bua(Ua& hot, const Clock& clock, media::MediaEngine& media,
                                         B2buaPorts ports, B2buaConfig config) {
  config.contact = hot.contact();
  config.domain = hot.endpoint.to_string();
  auto b2bua = std::make_unique<B2bua>(clock, media, std::move(ports), config);
  sip::TransactionConfig tc;
  tc.random = [rng = std::mt19937_64(9)]() mutable { return rng(); };
  sip::DialogConfig dc;
  dc.default_contact = hot.contact();
  hot.layer =
      std::make_unique<sip::DialogLayer>(hot.sender, *b2bua, clock, std::move(tc), std::move(dc));
  b2bua->attach(*hot.layer);
  return b2bua;
}

class B2buaTest : public ::testing::Test {
 protected:
  B2buaTest() {
    net.attach(alice);
    net.attach(bob);
    net.attach(hot);
    net.attach(carol);
    net.attach(dave);
    build(B2buaConfig{});
  }
  ~B2buaTest() override {
    hot.layer.reset();  // it calls into the B2BUA
    b2bua.reset();
  }

  // (Re)makes the B2BUA and hotline's dialog layer with `config` (contact and
  // domain filled in). Call before any traffic.
  void build(B2buaConfig config) {
    hot.layer.reset();
    b2bua.reset();
    B2buaPorts ports;
    // 1001 alice, 1002 bob (and carol as a second device), 1003 carol, 1004 dave.
    ports.locate = [this](std::string_view ext) {
      std::vector<Contact> out;
      auto add = [&](const char* user, Ua& ua) {
        out.push_back(
            {std::string("sip:") + user + "@" + ua.endpoint.to_string(), hot.peer_to(ua)});
      };
      if (ext == "1001") add("alice", alice);
      if (ext == "1002") {
        add("bob", bob);
        if (second_device) add("carol", carol);
      }
      if (ext == "1003") add("carol", carol);
      if (ext == "1004") add("dave", dave);
      return out;
    };
    ports.authenticate_extension = [this](const IncomingRequest& r) -> std::optional<std::string> {
      ++authentications;
      return r.request.from().uri.user_unescaped();
    };
    ports.emit = [this](std::string_view type, CallId call, const nlohmann::json& payload) {
      events.push_back({std::string(type), call, payload});
    };
    ports.flow = [this](std::string_view name) { return flows->find(name); };
    // Prompts: the test plays the media engine's part (it says when a prompt ends).
    ports.play = [this](CallId call, media::EndpointId ep, const cc::ivr::Command& c) {
      plays.push_back({call, cc::ivr::describe(c)});
      play_endpoints.push_back(ep);
    };
    ports.enqueue = [this](CallId call, const cc::ivr::RouteToQueue& q) {
      queued.push_back({call, q.queue});
      return true;
    };
    b2bua = make_b2bua(hot, clock, *media, std::move(ports), config);
    b2bua->set_routing(load_plan(), TrunkTable{});
  }

  // Moves virtual time by `d`, stopping at every deadline and delivering traffic.
  void advance(Duration d) {
    const MonoTime target = clock.mono() + d;
    net.pump();
    for (;;) {
      std::optional<MonoTime> next = b2bua->next_deadline();
      for (Ua* ua : {&alice, &bob, &carol, &dave, &hot}) {
        auto n = ua->layer->next_deadline();
        if (n && (!next || *n < *next)) next = n;
      }
      if (!next || *next > target) break;
      if (*next > clock.mono()) clock.advance(*next - clock.mono());
      for (Ua* ua : {&alice, &bob, &carol, &dave, &hot}) ua->layer->on_timer(clock.mono());
      b2bua->on_timer(clock.mono());
      net.pump();
    }
    if (target > clock.mono()) clock.advance(target - clock.mono());
  }

  sip::OutgoingInvite call_to(const std::string& number, std::string body = kSdpA) {
    return call_from(alice, "\"Alice\" <sip:1001@example.com>", number, std::move(body));
  }
  // A call from `ua` (From `from`) to `number` through hotline.
  sip::OutgoingInvite call_from(Ua& ua, const std::string& from, const std::string& number,
                                std::string body = kSdpA) {
    sip::OutgoingInvite o;
    o.request_uri = "sip:" + number + "@" + hot.endpoint.to_string();
    o.from = from;
    o.to = "<sip:" + number + "@example.com>";
    o.contact = ua.contact();
    o.destination = ua.peer_to(hot);
    o.content = sdp(body);
    return o;
  }
  // Hands the media engine's events so far to the B2BUA once one of `kind` came.
  void deliver_media(media::MediaEvent::Kind kind) {
    for (const media::MediaEvent& e : media_events.wait_for(kind, std::chrono::seconds(10))) {
      b2bua->on_media_event(e);
    }
    advance(std::chrono::milliseconds(10));
  }

  // `ua` answers a new INVITE with 180, then `status` (200 with kSdpB).
  // In-dialog NOTIFYs (transfer progress) get 200 too.
  static void answer_with(Ua& ua, int status, bool ring = true) {
    ua.user.on_request_hook = [&ua, status, ring](const IncomingRequest& r) {
      if (r.request.method() == "NOTIFY" && r.dialog) {
        EXPECT_TRUE(ua.layer->respond(r.txn, Reply{200, "OK", {}, {}}).has_value());
        return;
      }
      if (r.request.method() != "INVITE" || r.dialog) return;
      if (ring) {
        EXPECT_TRUE(ua.layer->respond(r.txn, Reply{180, "Ringing", {}, {}}).has_value());
      }
      if (status == 0) return;
      Reply reply{status, std::string(sip::reason_phrase(status)), {}, {}};
      if (status == 200) reply.content = sdp(kSdpB);
      EXPECT_TRUE(ua.layer->respond(r.txn, reply).has_value());
    };
  }

  int final_status(Ua& ua) {
    for (auto it = ua.user.calls.rbegin(); it != ua.user.calls.rend(); ++it) {
      if (it->type == UserCall::Type::kResponse && it->method == "INVITE" && it->status >= 200) {
        return it->status;
      }
    }
    return 0;
  }
  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const Event& e : events) out.push_back(e.type);
    return out;
  }
  const Event* last(std::string_view type) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (it->type == type) return &*it;
    }
    return nullptr;
  }

  ManualClock clock;
  MediaEvents media_events;
  std::unique_ptr<media::MediaEngine> media = start_media(&media_events);
  Net net;
  Ua alice{net, clock, sip::Endpoint{"192.0.2.1", 5060}, 1};
  Ua bob{net, clock, sip::Endpoint{"192.0.2.2", 5060}, 2};
  Ua carol{net, clock, sip::Endpoint{"192.0.2.3", 5060}, 3};
  Ua hot{net, clock, sip::Endpoint{"192.0.2.10", 5060}, 4};
  Ua dave{net, clock, sip::Endpoint{"192.0.2.4", 5060}, 5};
  bool second_device = false;
  int authentications = 0;  // calls of the authenticate_extension port
  std::shared_ptr<const cc::ivr::FlowSet> flows = load_flows();
  std::vector<std::pair<CallId, std::string>> plays;
  std::vector<media::EndpointId> play_endpoints;  // where each of `plays` went
  std::vector<std::pair<CallId, std::string>> queued;
  std::unique_ptr<B2bua> b2bua;
  std::vector<Event> events;
};

// The media engine's side of a prompt or a key, as the server's event loop hands it on.
inline media::MediaEvent media_event(media::MediaEvent::Kind kind, media::EndpointId ep,
                                     char digit = 0) {
  media::MediaEvent e;
  e.kind = kind;
  e.endpoint = ep;
  e.digit.digit = digit;
  return e;
}

}  // namespace hotline::sw::testing
