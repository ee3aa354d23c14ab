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
#include <list>
#include <map>
#include <memory>
#include <optional>
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
  // Where the B2BUA counts refused calls; call before start(). Must outlive the service.
  void set_metrics(MetricsRegistry* metrics) { metrics_ = metrics; }
  // Starts the media engine and takes over calls from the SIP service.
  Status start();
  // Applies a reloaded dial plan, trunks, feature codes and IVR flows (SIGHUP).
  // Calls in progress keep the flow they are in; new calls use the new routing.
  void reload(const CallsConfig& calls);
  // Hangs up every call and hands the SIP service back its 501s.
  void stop();

  std::size_t active_calls() const { return b2bua_ ? b2bua_->active_calls() : 0; }

 private:
  void play(sw::CallId call, media::EndpointId endpoint, const cc::ivr::Command& requested);
  // The music for a contact-center "moh/<class>" request: calls.music_on_hold
  // (for every class) or a spoken default; keeps the request's id and barge-in.
  cc::ivr::Command music_for(const cc::ivr::PlayFile& request) const;
  // Decoded prompt files, keyed by (path, mix rate) and checked against the file's
  // mtime and size so an edited file is read again. LRU, at most kClipCacheBytes.
  struct ClipStamp {
    std::int64_t mtime_ns = 0;
    std::int64_t size = 0;
    friend bool operator==(const ClipStamp&, const ClipStamp&) = default;
  };
  static std::optional<ClipStamp> stamp_of(const std::string& path);
  std::shared_ptr<const media::AudioClip> cached_clip(const std::string& path, int rate,
                                                      const ClipStamp& stamp);
  void cache_clip(const std::string& path, int rate, const ClipStamp& stamp,
                  std::shared_ptr<const media::AudioClip> clip);
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
  MetricsRegistry* metrics_ = nullptr;
  std::unique_ptr<VoicemailService> voicemail_;
  std::map<std::string, std::shared_ptr<const cc::ivr::Flow>, std::less<>> voicemail_flows_;
  std::shared_ptr<const cc::ivr::FlowSet> flows_;  // replaced by reload()
  // Per live call (from the B2BUA's events and endpoint observer): the caller's media
  // endpoint and numbers, for voicemail.
  struct CallFacts {
    media::EndpointId caller_media = 0;
    std::string caller, dialled;
  };
  std::unordered_map<sw::CallId, CallFacts> facts_;

  static constexpr std::size_t kClipCacheBytes = 64u << 20;
  using ClipKey = std::pair<std::string, int>;  // path, sample rate
  struct CachedClip {
    ClipStamp stamp;
    std::size_t bytes = 0;
    std::shared_ptr<const media::AudioClip> clip;
    std::list<ClipKey>::iterator lru;
  };
  std::map<ClipKey, CachedClip> clips_;
  std::list<ClipKey> lru_;  // most recently used first
  std::size_t clip_bytes_ = 0;
  std::uint64_t clip_hits_ = 0;
};

}  // namespace hotline::app
