-- 0001: tenants and the append-only event log.
-- Dialect tokens ({{SERIAL_PK}}, ...) are replaced per back end; see migrations.cpp.

CREATE TABLE tenants (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  created_at BIGINT NOT NULL  -- microseconds since the Unix epoch, UTC
);

INSERT INTO tenants (id, name, created_at) VALUES ('default', 'Default', {{NOW_MICROS}});

-- Every state change, in append order. Rows are never updated; retention (later)
-- deletes the oldest rows only, so seq is a stable cursor.
CREATE TABLE events (
  seq            {{SERIAL_PK}},
  tenant_id      TEXT NOT NULL REFERENCES tenants(id),
  ts             BIGINT NOT NULL,  -- microseconds since the Unix epoch, UTC
  type           TEXT NOT NULL,
  interaction_id TEXT,
  agent_id       TEXT,
  queue_id       TEXT,
  payload        TEXT NOT NULL DEFAULT '{}'  -- JSON object
);

-- Each index costs every append, so the id indexes skip the rows without that id
-- (an agent state change has no interaction; a queued call has no agent yet).
-- Queries "x_id = $n" imply "x_id IS NOT NULL", so both back ends still use them.
CREATE INDEX events_tenant_ts ON events (tenant_id, ts);
CREATE INDEX events_tenant_interaction ON events (tenant_id, interaction_id, seq)
  WHERE interaction_id IS NOT NULL;
CREATE INDEX events_tenant_agent ON events (tenant_id, agent_id, seq) WHERE agent_id IS NOT NULL;
CREATE INDEX events_tenant_queue ON events (tenant_id, queue_id, seq) WHERE queue_id IS NOT NULL;
CREATE INDEX events_tenant_type_ts ON events (tenant_id, type, ts);
