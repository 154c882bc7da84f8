#include "server/store/sqlite/sqlite_schema.h"

namespace casebridge::store::sqlite {

// Times are int64 microseconds since the Unix epoch. Users, connectors and
// other free-form parts live in JSON text columns; everything a query
// filters or sorts on has its own column. Child rows of a case go away with
// it (ON DELETE CASCADE).
const Migration kMigrations[] = {
    {1, "initial schema", R"sql(
CREATE TABLE cases (
  rid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  version INTEGER NOT NULL,
  owner TEXT NOT NULL,
  status INTEGER NOT NULL,
  severity INTEGER NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  category TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER,
  closed_at INTEGER,
  created_by_username TEXT NOT NULL,
  created_by_profile_uid TEXT NOT NULL,
  assignee_count INTEGER NOT NULL,
  connector_id TEXT NOT NULL,
  total_comment INTEGER NOT NULL DEFAULT 0,
  total_alerts INTEGER NOT NULL DEFAULT 0,
  doc TEXT NOT NULL
);
CREATE INDEX cases_owner_status_created ON cases(owner, status, created_at);
CREATE INDEX cases_status_created ON cases(status, created_at);
CREATE INDEX cases_created ON cases(created_at);
CREATE INDEX cases_reporter ON cases(created_by_username);
CREATE INDEX cases_connector ON cases(connector_id);

CREATE TABLE case_tags (
  case_rid INTEGER NOT NULL REFERENCES cases(rid) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (case_rid, tag)
) WITHOUT ROWID;
CREATE INDEX case_tags_tag ON case_tags(tag, case_rid);

CREATE TABLE case_assignees (
  case_rid INTEGER NOT NULL REFERENCES cases(rid) ON DELETE CASCADE,
  uid TEXT NOT NULL,
  PRIMARY KEY (case_rid, uid)
) WITHOUT ROWID;
CREATE INDEX case_assignees_uid ON case_assignees(uid, case_rid);

CREATE VIRTUAL TABLE cases_fts USING fts5(
  title, description, content='cases', content_rowid='rid',
  tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER cases_fts_insert AFTER INSERT ON cases BEGIN
  INSERT INTO cases_fts(rowid, title, description) VALUES (new.rid, new.title, new.description);
END;
CREATE TRIGGER cases_fts_delete AFTER DELETE ON cases BEGIN
  INSERT INTO cases_fts(cases_fts, rowid, title, description)
    VALUES ('delete', old.rid, old.title, old.description);
END;
CREATE TRIGGER cases_fts_update AFTER UPDATE OF title, description ON cases
  WHEN old.title IS NOT new.title OR old.description IS NOT new.description BEGIN
  INSERT INTO cases_fts(cases_fts, rowid, title, description)
    VALUES ('delete', old.rid, old.title, old.description);
  INSERT INTO cases_fts(rowid, title, description) VALUES (new.rid, new.title, new.description);
END;

CREATE TABLE attachments (
  rid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  owner TEXT NOT NULL,
  type INTEGER NOT NULL,
  version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER,
  pushed_at INTEGER,
  content TEXT NOT NULL,
  users TEXT NOT NULL
);
CREATE INDEX attachments_case ON attachments(case_id, created_at);
CREATE INDEX attachments_case_type ON attachments(case_id, type, created_at);

CREATE TABLE case_alerts (
  rid INTEGER PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  attachment_id TEXT NOT NULL REFERENCES attachments(id) ON DELETE CASCADE,
  alert_id TEXT NOT NULL,
  alert_index TEXT NOT NULL,
  attached_at INTEGER NOT NULL
);
CREATE INDEX case_alerts_alert ON case_alerts(alert_id);
CREATE INDEX case_alerts_case ON case_alerts(case_id, attached_at);
CREATE INDEX case_alerts_attachment ON case_alerts(attachment_id);

-- seq gives insertion order. Without AUTOINCREMENT a seq is reused only
-- after the row with the highest seq is deleted, which happens only with its
-- case, so the order within every remaining case is still insertion order
-- (and one page write per insert is saved).
CREATE TABLE user_actions (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  comment_id TEXT,
  type TEXT NOT NULL,
  action TEXT NOT NULL,
  attachment_type TEXT,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  owner TEXT NOT NULL
);
CREATE INDEX user_actions_case ON user_actions(case_id, created_at, seq);

CREATE TABLE configurations (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL UNIQUE,
  version INTEGER NOT NULL,
  connector_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER,
  doc TEXT NOT NULL
);
CREATE INDEX configurations_connector ON configurations(connector_id);

CREATE TABLE connectors (
  id TEXT PRIMARY KEY,
  connector_type_id TEXT NOT NULL,
  name TEXT NOT NULL,
  config TEXT NOT NULL,
  sealed_secrets BLOB NOT NULL,
  is_missing_secrets INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE cached_tokens (
  connector_id TEXT NOT NULL,
  key TEXT NOT NULL,
  sealed_token BLOB NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (connector_id, key)
) WITHOUT ROWID;
)sql"},
    {2, "status counters per owner and per (tag, owner)", R"sql(
-- Counts by status kept by triggers so that the status breakdown of
-- FindCases is O(owners) for filters on owners and at most one tag, the
-- shape of the list views. Rows may hold n = 0.
CREATE TABLE owner_status_counts (
  owner TEXT NOT NULL,
  status INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (owner, status)
) WITHOUT ROWID;
CREATE TABLE tag_status_counts (
  tag TEXT NOT NULL,
  owner TEXT NOT NULL,
  status INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (tag, owner, status)
) WITHOUT ROWID;

INSERT INTO owner_status_counts(owner, status, n)
  SELECT owner, status, count(*) FROM cases GROUP BY owner, status;
INSERT INTO tag_status_counts(tag, owner, status, n)
  SELECT t.tag, c.owner, c.status, count(*) FROM case_tags t JOIN cases c ON c.rid = t.case_rid
  GROUP BY t.tag, c.owner, c.status;

CREATE TRIGGER counts_case_insert AFTER INSERT ON cases BEGIN
  INSERT INTO owner_status_counts(owner, status, n) VALUES (new.owner, new.status, 1)
    ON CONFLICT(owner, status) DO UPDATE SET n = n + 1;
END;
-- Tags go first, while the case row still exists, so that the tag trigger
-- below accounts for them.
CREATE TRIGGER counts_case_delete BEFORE DELETE ON cases BEGIN
  DELETE FROM case_tags WHERE case_rid = old.rid;
  UPDATE owner_status_counts SET n = n - 1 WHERE owner = old.owner AND status = old.status;
END;
CREATE TRIGGER counts_case_update AFTER UPDATE OF owner, status ON cases
  WHEN old.owner IS NOT new.owner OR old.status IS NOT new.status BEGIN
  UPDATE owner_status_counts SET n = n - 1 WHERE owner = old.owner AND status = old.status;
  INSERT INTO owner_status_counts(owner, status, n) VALUES (new.owner, new.status, 1)
    ON CONFLICT(owner, status) DO UPDATE SET n = n + 1;
  UPDATE tag_status_counts SET n = n - 1
    WHERE owner = old.owner AND status = old.status
      AND tag IN (SELECT tag FROM case_tags WHERE case_rid = new.rid);
  INSERT INTO tag_status_counts(tag, owner, status, n)
    SELECT tag, new.owner, new.status, 1 FROM case_tags WHERE case_rid = new.rid
    ON CONFLICT(tag, owner, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER counts_tag_insert AFTER INSERT ON case_tags BEGIN
  INSERT INTO tag_status_counts(tag, owner, status, n)
    SELECT new.tag, c.owner, c.status, 1 FROM cases c WHERE c.rid = new.case_rid
    ON CONFLICT(tag, owner, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER counts_tag_delete AFTER DELETE ON case_tags BEGIN
  UPDATE tag_status_counts SET n = n - 1
    WHERE tag = old.tag
      AND (owner, status) = (SELECT c.owner, c.status FROM cases c WHERE c.rid = old.case_rid);
END;
)sql"},
    {3, "fixed planner statistics", R"sql(
-- Hand-written statistics describing a large deployment (1M cases, a few
-- owners, three statuses, tags on ~1% of cases each) so that query plans do
-- not depend on what the database held when it was last analysed: the list
-- queries walk an index in created_at order and stop after one page instead
-- of sorting every case of an owner. Running ANALYZE replaces them with
-- measured ones.
ANALYZE sqlite_schema;
DELETE FROM sqlite_stat1;
INSERT INTO sqlite_stat1(tbl, idx, stat) VALUES
  ('cases', NULL, '1000000'),
  ('cases', 'sqlite_autoindex_cases_1', '1000000 1'),
  ('cases', 'cases_owner_status_created', '1000000 250000 80000 2'),
  ('cases', 'cases_status_created', '1000000 333333 2'),
  ('cases', 'cases_created', '1000000 2'),
  ('cases', 'cases_reporter', '1000000 1000'),
  ('cases', 'cases_connector', '1000000 200000'),
  ('case_tags', 'sqlite_autoindex_case_tags_1', '2000000 2 1'),
  ('case_tags', 'case_tags_tag', '2000000 20000 1'),
  ('case_assignees', 'sqlite_autoindex_case_assignees_1', '500000 1 1'),
  ('case_assignees', 'case_assignees_uid', '500000 50 1');
ANALYZE sqlite_schema;
)sql"},
    {4, "list-view index on case_tags", R"sql(
-- Each tag row carries its case's owner, status and created_at so that the
-- list view "one tag, newest first" reads one index range in order and
-- stops after a page, instead of walking the owner's cases and probing each
-- for the tag (cost proportional to 1 / the tag's share). Same number of
-- indexes as before: case_tags_page replaces case_tags_tag.
ALTER TABLE case_tags ADD COLUMN owner TEXT;
ALTER TABLE case_tags ADD COLUMN status INTEGER;
ALTER TABLE case_tags ADD COLUMN created_at INTEGER;
UPDATE case_tags SET (owner, status, created_at) =
  (SELECT c.owner, c.status, c.created_at FROM cases c WHERE c.rid = case_tags.case_rid);
DROP INDEX case_tags_tag;
CREATE INDEX case_tags_page ON case_tags(tag, owner, status, created_at, case_rid);
-- The store rewrites a case's tag rows with every update; this keeps the
-- copies right for any other writer of those columns.
CREATE TRIGGER case_tags_copy AFTER UPDATE OF owner, status, created_at ON cases
  WHEN old.owner IS NOT new.owner OR old.status IS NOT new.status
    OR old.created_at IS NOT new.created_at BEGIN
  UPDATE case_tags SET owner = new.owner, status = new.status, created_at = new.created_at
    WHERE case_rid = new.rid;
END;
DELETE FROM sqlite_stat1 WHERE idx = 'case_tags_tag';
INSERT INTO sqlite_stat1(tbl, idx, stat) VALUES
  ('case_tags', 'case_tags_page', '2000000 20000 5000 1700 2 1');
ANALYZE sqlite_schema;
)sql"},
    {5, "push jobs and per-connector push records", R"sql(
-- The durable push queue. Claims look for due jobs by state and time and
-- check their (case, connector) for a live lease; lists go by case.
CREATE TABLE push_jobs (
  rid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  connector_id TEXT NOT NULL,
  connector_type_id TEXT NOT NULL,
  state INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  next_attempt_at INTEGER,
  finished_at INTEGER,
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_expires_at INTEGER,
  doc TEXT NOT NULL
);
CREATE INDEX push_jobs_due ON push_jobs(state, next_attempt_at);
CREATE INDEX push_jobs_pair ON push_jobs(case_id, connector_id, state);
CREATE INDEX push_jobs_case ON push_jobs(case_id, created_at);
CREATE INDEX push_jobs_created ON push_jobs(created_at);

CREATE TABLE push_records (
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  connector_id TEXT NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (case_id, connector_id)
) WITHOUT ROWID;
)sql"},
    {6, "binary case documents", R"sql(
-- cases.doc becomes a BLOB in the format of case_doc.h instead of JSON
-- text: reading a case no longer parses JSON. The column keeps its
-- declared type (a BLOB is stored as is); RewriteJsonCaseDocs converts the
-- existing rows right after this script.
SELECT 1;
)sql",
     RewriteJsonCaseDocs},
    {7, "case events for WatchCases", R"sql(
CREATE TABLE case_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  type INTEGER NOT NULL,
  case_id TEXT NOT NULL,
  owner TEXT NOT NULL,
  case_version INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX case_events_created ON case_events(created_at);
CREATE TABLE case_events_pruned (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  through_seq INTEGER NOT NULL
);
INSERT INTO case_events_pruned(id, through_seq) VALUES (1, 0);
)sql"},
    {8, "api keys", R"sql(
-- Keys created through ApiKeyService: the key's SHA-256 only, never the key.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL,
  user_json TEXT NOT NULL,
  roles_json TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  revoked_at INTEGER
);
)sql"},
};

const size_t kMigrationCount = sizeof(kMigrations) / sizeof(kMigrations[0]);

}  // namespace casebridge::store::sqlite
