-- 0002: the SIP registrar's location service (contacts bound to an extension).
-- One row per (tenant, address of record, contact URI). Rows are replaced on every
-- refresh and deleted on unregister or expiry; the server loads the unexpired ones
-- at start so a restart keeps registrations.

CREATE TABLE sip_contacts (
  tenant_id      TEXT NOT NULL REFERENCES tenants(id),
  aor            TEXT NOT NULL,  -- the extension ("1001")
  contact        TEXT NOT NULL,  -- Contact URI as registered
  instance_id    TEXT,           -- +sip.instance (RFC 5626), NULL when absent
  path           TEXT,           -- Path header values (RFC 3327), NULL when absent
  call_id        TEXT NOT NULL,
  cseq           BIGINT NOT NULL,
  expires_at     BIGINT NOT NULL,  -- microseconds since the Unix epoch, UTC
  transport      TEXT NOT NULL,    -- UDP / TCP / TLS the REGISTER came over
  source_address TEXT NOT NULL,    -- where it came from (NAT-mapped address)
  source_port    INTEGER NOT NULL,
  local_address  TEXT NOT NULL,    -- the listener it arrived on
  local_port     INTEGER NOT NULL,
  user_agent     TEXT,
  updated_at     BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, aor, contact)
);

CREATE INDEX sip_contacts_tenant_expires ON sip_contacts (tenant_id, expires_at);
