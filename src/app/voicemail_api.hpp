// The voicemail REST API:
//
//   GET    /api/v1/voicemail?box=1001&heard=false&limit=50   messages, newest first
//   GET    /api/v1/voicemail/{id}                            one message
//   GET    /api/v1/voicemail/{id}/audio                      the WAV (audio/wav); marks it heard
//   DELETE /api/v1/voicemail/{id}                            the row and its file (204)
//
// Errors carry {"error":{"code","message"}}: 400 invalid_argument, 404 not_found,
// 500 storage. Every query is the server's tenant's.
//
// Thread-safety: handlers run on the control loop; the store is thread-safe. The
// queries are short indexed lookups and the file read is capped, run on the loop.
#pragma once

#include <string>

#include "api/router.hpp"
#include "app/voicemail.hpp"

namespace hotline::app {

// REQUIRES: `store` outlives every request served by `router`.
void add_voicemail_routes(api::Router& router, VoicemailStore& store, std::string tenant);

// One message as the API shows it.
nlohmann::json to_json(const store::VoicemailMessage& m);

}  // namespace hotline::app
