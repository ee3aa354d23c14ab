// Calls in `hotline serve`: the media engine, the B2BUA and the contact center,
// wired to the SIP service (as its call handler), the event bus and the worker
// pool. Prompts are loaded or synthesised on a worker (espeak-ng, cached on disk
// under data_dir/prompts) and handed to the media engine from the loop; media
// events are posted to the loop.
//
// Thread-safety: control-loop thread only, except where noted.
#pragma once

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "app/config.hpp"
#include "app/event_bus.hpp"
#include "app/http_lookup.hpp"
#include "app/sip_service.hpp"
#include "app/voicemail.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/worker_pool.hpp"
#include "media/media_engine.hpp"
#include "media/speech.hpp"
#include "switch/b2bua.hpp"
#include "switch/contact_center.hpp"

namespace hotline::app {

class CallService {
 public:
  // REQUIRES: every argument outlives the service; stop() before the loop ends.
  CallService(boost::asio::io_context& loop, const Clock& clock, const Config& config,
              SipService& sip, WorkerPool& workers, EventBus& events);
  ~CallService();
  CallService(const CallService&) = delete;
  CallService& operator=(const CallService&) = delete;

  // Where voicemail messages are stored (and listed by the API); call before
  // start(). Without one, messages are recorded but not kept in the database.
  void set_voicemail_store(VoicemailStore* store) { voicemail_store_ = store; }
  // Starts the media engine and takes over calls from the SIP service.
  Status start();
  // Hangs up every call and hands the SIP service back its 501s.
  void stop();

  std::size_t active_calls() const { return b2bua_ ? b2bua_->active_calls() : 0; }

 private:
  void play(sw::CallId call, media::EndpointId endpoint, const cc::ivr::Command& command);
  void after_input();  // re-arms timers after work done outside a SIP callback
  void http_get(sw::CallId call, const cc::ivr::HttpGet& request);
  void publish(std::string_view type, sw::CallId call, const nlohmann::json& payload);
  // Dial-plan voicemail targets become one-node IVR flows ("voicemail:<box>") that
  // route to the box, so they take the IVR's way into voicemail.
  sw::DialPlan voicemail_targets_as_flows(const sw::DialPlan& plan);
  bool start_voicemail(sw::CallId call, const cc::ivr::RouteToVoicemail& route);

  boost::asio::io_context& loop_;
  const Clock& clock_;
  const Config& config_;
  SipService& sip_;
  WorkerPool& workers_;
  EventBus& events_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for posted work
  std::unique_ptr<media::MediaEngine> media_;
  std::unique_ptr<sw::B2bua> b2bua_;
  std::unique_ptr<sw::ContactCenter> contact_center_;
  std::shared_ptr<media::SpeechCache> speech_;
  std::unique_ptr<HttpLookup> http_;  // IVR http nodes
  VoicemailStore* voicemail_store_ = nullptr;
  std::unique_ptr<VoicemailService> voicemail_;
  std::map<std::string, std::shared_ptr<const cc::ivr::Flow>, std::less<>> voicemail_flows_;
  // Per live call (from the B2BUA's events and endpoint observer): the caller's media
  // endpoint and numbers, for voicemail.
  struct CallFacts {
    media::EndpointId caller_media = 0;
    std::string caller, dialled;
  };
  std::unordered_map<sw::CallId, CallFacts> facts_;
};

}  // namespace hotline::app
