-- 0003: the event log keeps only the indexes its writes can afford.
--
-- Every index costs every append, and the three below insert in the middle of their
-- B-trees (agents, queues and types interleave), which measured at about half of
-- SQLite's cost per event (docs/benchmarks.md, "Event log"). The log is read in two
-- ways: by time range or seq cursor (reports, the WFM forecast and adherence, the
-- projections that build read models) and by interaction (a call's history). Both
-- keep their index. Reads filtered by agent, queue or type still work: they walk the
-- time or seq range and filter, and read models that need such lookups often keep
-- their own tables, fed from the log by seq.
DROP INDEX events_tenant_agent;
DROP INDEX events_tenant_queue;
DROP INDEX events_tenant_type_ts;
