-- Service events (issue 15): each service process records the code revision
-- and the live model it runs when it starts and each time its model set is
-- swapped, so that the dashboard can draw the revision / model timeline and
-- mark where they changed. One INSERT per start or swap, never per request:
-- the table stays small (a few rows per deploy or release).
--
-- instance: MOD_INSTANCE_ID (the local provider's instance id), else
-- <hostname>:<port>. revision: the commit the process was deployed as (NULL
-- when it does not know it, e.g. `mod serve` outside a bundle).
--
-- The dashboard reads the events of a window (service_events_at) and, per
-- instance, the last event before it (service_events_instance_at).
-- labelled per hour counts moderators' labels by time: review_labels had no
-- index on decided_at (it is only ever written and read per post), so one is
-- added; the table holds one row per label, far smaller than posts. A
-- plain CREATE INDEX (CONCURRENTLY cannot run in the migration's
-- transaction) blocks writes to review_labels (a label being given waits)
-- while it builds, a time in proportion to the labels stored; reads go on. The
-- migration runner waits at most lock_timeout (5 s) for the lock and
-- otherwise applies nothing and says to run again (src/store/migrations.ts).

CREATE TABLE service_events (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at            timestamptz NOT NULL,
  instance      text NOT NULL,
  revision      text,
  model_version text NOT NULL,
  release_id    text,
  event         text NOT NULL CHECK (event IN ('start', 'model-swap'))
);
CREATE INDEX service_events_at ON service_events (at, id);
CREATE INDEX service_events_instance_at ON service_events (instance, at, id);

CREATE INDEX review_labels_decided_at ON review_labels (decided_at);
