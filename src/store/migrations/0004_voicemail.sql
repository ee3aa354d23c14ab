-- 0004: voicemail messages. One row per message left in a box (an extension or a
-- named box); the audio is a mono WAV file under the data directory, the row says
-- where. `heard` is set when someone has listened to it (the API's audio download
-- marks it).

CREATE TABLE voicemail_messages (
  id          {{SERIAL_PK}},
  tenant_id   TEXT NOT NULL REFERENCES tenants(id),
  box         TEXT NOT NULL,
  caller      TEXT NOT NULL,
  call_id     TEXT NOT NULL,     -- the call's id in the event log ("c-17")
  created_at  BIGINT NOT NULL,   -- microseconds since the Unix epoch, UTC
  duration_ms BIGINT NOT NULL,
  file_path   TEXT NOT NULL,
  heard       INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX voicemail_messages_box ON voicemail_messages (tenant_id, box, created_at);
