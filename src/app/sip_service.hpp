// The SIP side of `hotline serve`: the listeners (SipTransport), the transaction
// layer driven by a steady_timer on the control loop, and the registrar on top of
// it — digest authentication with scanner hardening (sip/auth_guard.hpp), the
// location service (sip/registrar.hpp, sip/location.hpp) persisted through
// store::LocationWriter (off the loop), and OPTIONS qualify of every registered
// contact. OPTIONS to hotline itself is answered 200; requests no layer handles
// yet (INVITE until the dialog layer is wired) get 501.
//
// Thread-safety: control-loop thread only (the writer has a thread of its own).
// Invariants: (1) a timer wait is pending whenever the transaction layer has an
// armed deadline; (2) nothing here blocks on the database: contacts are loaded
// before start() and written through the writer's queue.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "app/config.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/metrics.hpp"
#include "sip/auth_guard.hpp"
#include "sip/dialog_layer.hpp"
#include "sip/location.hpp"
#include "sip/registrar.hpp"
#include "sip/transport.hpp"
#include "store/location_repository.hpp"

namespace hotline::app {

class SipService final : private sip::DialogUser {
 public:
  using EventSink = std::function<void(std::string type, nlohmann::json payload)>;

  // REQUIRES: clock, config, metrics, writer and wire (when not null) outlive the
  // service. Messages go out through `wire` when it is given (tests: an in-memory
  // network that feeds answers back through receive()), else through the sockets.
  SipService(boost::asio::io_context& loop, const Clock& clock, const SipConfig& config,
             const std::vector<Extension>& extensions, std::string tenant, MetricsRegistry& metrics,
             store::LocationWriter* writer, sip::MessageSender* wire = nullptr);
  ~SipService() override;

  // Bindings read from storage before start(); expired ones are skipped.
  void restore(const std::vector<store::ContactRow>& rows);
  // Opens every listener; the first failure is returned (and nothing stays open).
  Status start();
  void stop();
  std::vector<sip::Peer> listeners() const { return transport_.listeners(); }
  // A parsed message from `from`, as the transport hands it over.
  void receive(sip::Message&& m, const sip::Peer& from) { on_message(std::move(m), from); }

  // The users allowed to register (SIGHUP reload).
  void set_extensions(const std::vector<Extension>& extensions);
  void set_event_sink(EventSink sink) { events_ = std::move(sink); }

  // Digest-authenticates a request from an extension, logging and counting
  // failures and bans: for the registrar now and INVITE handling later. On
  // kChallenge the caller answers 401 with the challenges; kForbidden: 403;
  // kBanned: 403 or nothing per sip.auth.ban_response.
  sip::AuthResult authenticate(const sip::Message& request, const sip::Peer& source);

  // Calls — INVITEs and every request inside a dialog — go to `handler` (the
  // B2BUA), whose timers run with the SIP ones. Without a handler they get 501/481.
  // REQUIRES: `handler` outlives the service or is reset first.
  void set_call_handler(sip::DialogUser* handler,
                        std::function<std::optional<MonoTime>()> next_deadline,
                        std::function<void(MonoTime)> on_timer);
  sip::DialogLayer& dialogs() { return dialogs_; }
  // Re-arms the timer after the call handler acted outside a SIP callback (a
  // media event it was handed on the loop).
  void rearm() { arm_timer(); }
  // Registered, reachable contacts of an extension, for ringing it.
  std::vector<sip::Binding> contacts_of(std::string_view extension) const;

  // Current registrations for GET /api/v1/sip/registrations.
  nlohmann::json registrations() const;
  const sip::LocationService& location() const { return location_; }

 private:
  // DialogUser.
  void on_request(const sip::IncomingRequest& request) override;
  void on_response(const sip::ResponseEvent& response) override;
  void on_ack(sip::DialogId dialog, const sip::Message& ack) override;
  void on_cancelled(sip::TransactionId invite, std::optional<sip::DialogId> dialog) override;
  void on_glare_retry(sip::DialogId dialog, std::string_view method) override;
  void on_transport_error(sip::TransactionId txn, std::optional<sip::DialogId> dialog) override;
  void on_terminated(sip::DialogId dialog, sip::TerminationReason reason,
                     const sip::Message* cause) override;

  void on_message(sip::Message&& m, const sip::Peer& from);
  static std::string to_tag(const sip::Message& request);
  void handle_register(sip::TransactionId id, const sip::Message& request, const sip::Peer& source);
  void respond(sip::TransactionId id, const sip::Message& request, int status,
               std::string_view reason = {},
               const std::vector<std::pair<std::string, std::string>>& headers = {});
  void arm_timer();
  void schedule_qualify();
  void qualify();
  void qualify_result(sip::TransactionId id, bool reachable, std::string_view why);
  void persist(const sip::RegisterOutcome& outcome);
  void expire();
  void update_gauges();
  void emit(std::string type, nlohmann::json payload);

  boost::asio::io_context& loop_;
  const Clock& clock_;
  const SipConfig& config_;
  std::string tenant_;
  store::LocationWriter* writer_;
  std::mt19937_64 random_;
  sip::SipTransport transport_;
  sip::MessageSender& wire_;  // transport_, or the one given for tests
  sip::DialogLayer dialogs_;
  sip::DialogUser* calls_ = nullptr;
  std::function<std::optional<MonoTime>()> calls_deadline_;
  std::function<void(MonoTime)> calls_timer_;
  boost::asio::steady_timer timer_;
  std::optional<MonoTime> armed_;
  boost::asio::steady_timer qualify_timer_;
  sip::LocationService location_;
  sip::Registrar registrar_;
  sip::AuthGuard auth_;
  EventSink events_;
  struct Qualifying {
    std::string aor;
    std::string contact;
  };
  std::unordered_map<sip::TransactionId, Qualifying> qualifying_;
  bool stopped_ = false;

  Counter& unhandled_;
  Counter& register_ok_;
  Counter& register_challenged_;
  Counter& register_refused_;
  Counter& auth_failures_;
  Counter& source_bans_;
  Counter& user_bans_;
  Counter& banned_dropped_;
  Counter& qualify_sent_;
  Counter& qualify_unreachable_;
  Gauge& contacts_;
  Gauge& transactions_;
};

}  // namespace hotline::app
