#include "server/store/postgres/pg_schema.h"

namespace casebridge::store::pg {

// Times are bigint microseconds since the Unix epoch (as in the SQLite
// store). Free-form parts are JSON text; everything a query filters or sorts
// on has its own column. Tags and assignees are text[] with GIN indexes.
// Full-text search uses tsvectors built by the store from its own word
// split (see pg_cases.cc) so that matching is the same as on SQLite; fts_all
// (title and description) is indexed, the per-field vectors re-check a
// match. Child rows of a case go away with it (ON DELETE CASCADE).
// Migrations are append-only; each must run on a database that has only the
// earlier ones.
const Migration kMigrations[] = {
    {1, "initial schema", R"sql(
CREATE TABLE cases (
  rid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  version bigint NOT NULL,
  owner text NOT NULL,
  status integer NOT NULL,
  severity integer NOT NULL,
  title text NOT NULL,
  description text NOT NULL,
  category text,
  created_at bigint NOT NULL,
  updated_at bigint,
  closed_at bigint,
  created_by_username text NOT NULL,
  created_by_profile_uid text NOT NULL,
  created_by text NOT NULL,
  tags text[] NOT NULL,
  assignees text[] NOT NULL,
  connector_id text NOT NULL,
  total_comment integer NOT NULL DEFAULT 0,
  total_alerts integer NOT NULL DEFAULT 0,
  fts_title tsvector NOT NULL,
  fts_description tsvector NOT NULL,
  fts_all tsvector NOT NULL,
  doc text NOT NULL
);
CREATE INDEX cases_owner_status_created ON cases(owner, status, created_at);
CREATE INDEX cases_created ON cases(created_at);
CREATE INDEX cases_reporter ON cases(created_by_username);
CREATE INDEX cases_connector ON cases(connector_id);
CREATE INDEX cases_tags ON cases USING gin(tags);
CREATE INDEX cases_assignees ON cases USING gin(assignees);
CREATE INDEX cases_fts ON cases USING gin(fts_all);

CREATE TABLE attachments (
  rid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  case_id text NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  owner text NOT NULL,
  type integer NOT NULL,
  version bigint NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint,
  pushed_at bigint,
  content text NOT NULL,
  users text NOT NULL
);
CREATE INDEX attachments_case ON attachments(case_id, created_at);
CREATE INDEX attachments_case_type ON attachments(case_id, type, created_at);

CREATE TABLE case_alerts (
  rid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id text NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  attachment_id text NOT NULL REFERENCES attachments(id) ON DELETE CASCADE,
  alert_id text NOT NULL,
  alert_index text NOT NULL,
  attached_at bigint NOT NULL
);
CREATE INDEX case_alerts_alert ON case_alerts(alert_id);
CREATE INDEX case_alerts_case ON case_alerts(case_id, attached_at);
CREATE INDEX case_alerts_attachment ON case_alerts(attachment_id);

CREATE TABLE user_actions (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  case_id text NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  comment_id text,
  type text NOT NULL,
  action text NOT NULL,
  attachment_type text,
  payload text NOT NULL,
  created_at bigint NOT NULL,
  created_by text NOT NULL,
  owner text NOT NULL
);
CREATE INDEX user_actions_case ON user_actions(case_id, created_at, seq);

CREATE TABLE configurations (
  id text PRIMARY KEY,
  owner text NOT NULL UNIQUE,
  version bigint NOT NULL,
  connector_id text NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint,
  doc text NOT NULL
);
CREATE INDEX configurations_connector ON configurations(connector_id);

CREATE TABLE connectors (
  id text PRIMARY KEY,
  connector_type_id text NOT NULL,
  name text NOT NULL,
  config text NOT NULL,
  sealed_secrets bytea NOT NULL,
  is_missing_secrets boolean NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE cached_tokens (
  connector_id text NOT NULL,
  key text NOT NULL,
  sealed_token bytea NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY (connector_id, key)
);
)sql"},
    {2, "push jobs and per-connector push records", R"sql(
-- The durable push queue, shared by every replica. Claimers find due jobs
-- by state and time (push_jobs_due) and check the (case, connector) pair for
-- a live lease (push_jobs_pair); lists go by case or by creation time.
CREATE TABLE push_jobs (
  rid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  case_id text NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  connector_id text NOT NULL,
  connector_type_id text NOT NULL,
  state integer NOT NULL,
  attempts integer NOT NULL,
  max_attempts integer NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  next_attempt_at bigint,
  finished_at bigint,
  lease_owner text NOT NULL DEFAULT '',
  lease_expires_at bigint,
  doc text NOT NULL
);
CREATE INDEX push_jobs_due ON push_jobs(state, next_attempt_at)
  WHERE state IN (0, 1, 2);
CREATE INDEX push_jobs_pair ON push_jobs(case_id, connector_id, state);
CREATE INDEX push_jobs_case ON push_jobs(case_id, created_at);
CREATE INDEX push_jobs_created ON push_jobs(created_at);

CREATE TABLE push_records (
  case_id text NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  connector_id text NOT NULL,
  doc text NOT NULL,
  PRIMARY KEY (case_id, connector_id)
);
)sql"},
    {3, "case events for WatchCases", R"sql(
CREATE TABLE case_events (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  type integer NOT NULL,
  case_id text NOT NULL,
  owner text NOT NULL,
  case_version bigint NOT NULL,
  created_at bigint NOT NULL
);
CREATE INDEX case_events_created ON case_events(created_at);
CREATE TABLE case_events_pruned (
  id integer PRIMARY KEY CHECK (id = 1),
  through_seq bigint NOT NULL
);
INSERT INTO case_events_pruned(id, through_seq) VALUES (1, 0);
)sql"},
    {4, "api keys", R"sql(
-- Keys created through ApiKeyService: the key's SHA-256 only, never the key.
CREATE TABLE api_keys (
  id text PRIMARY KEY,
  name text NOT NULL,
  key_hash text NOT NULL,
  user_json text NOT NULL,
  roles_json text NOT NULL,
  created_at bigint NOT NULL,
  created_by text NOT NULL,
  revoked_at bigint
);
)sql"},
};

const size_t kMigrationCount = sizeof(kMigrations) / sizeof(kMigrations[0]);

}  // namespace casebridge::store::pg
