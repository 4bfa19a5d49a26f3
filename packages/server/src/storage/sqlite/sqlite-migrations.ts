import type { Migration } from '../migration.js'

/**
 * The SQLite schema. Tables are STRICT, so a value of the wrong type is an error rather than a
 * silent conversion. JSON is stored as the canonical JSON text, so bytes round-trip exactly.
 */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
CREATE TABLE stream_positions (
  name TEXT PRIMARY KEY,
  position INTEGER NOT NULL
) STRICT;
INSERT INTO stream_positions (name, position) VALUES ('main', 0);

CREATE TABLE users (
  user_id TEXT PRIMARY KEY,
  localpart TEXT NOT NULL UNIQUE,
  password_hash TEXT,
  is_admin INTEGER NOT NULL DEFAULT 0,
  is_deactivated INTEGER NOT NULL DEFAULT 0,
  created_ts INTEGER NOT NULL
) STRICT;

CREATE TABLE devices (
  user_id TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
  device_id TEXT NOT NULL,
  display_name TEXT,
  last_seen_ts INTEGER,
  last_seen_ip TEXT,
  created_ts INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE access_tokens (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  created_ts INTEGER NOT NULL,
  last_used_ts INTEGER,
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX access_tokens_by_device ON access_tokens (user_id, device_id);

CREATE TABLE registration_tokens (
  token TEXT PRIMARY KEY,
  uses_allowed INTEGER,
  pending INTEGER NOT NULL DEFAULT 0,
  completed INTEGER NOT NULL DEFAULT 0,
  expiry_time INTEGER
) STRICT;

CREATE TABLE state_groups (
  id INTEGER PRIMARY KEY,
  room_id TEXT NOT NULL,
  prev_group INTEGER REFERENCES state_groups (id),
  delta_count INTEGER NOT NULL
) STRICT;

CREATE TABLE state_group_entries (
  group_id INTEGER NOT NULL REFERENCES state_groups (id),
  type TEXT NOT NULL,
  state_key TEXT NOT NULL,
  event_id TEXT,
  PRIMARY KEY (group_id, type, state_key)
) STRICT, WITHOUT ROWID;

CREATE TABLE rooms (
  room_id TEXT PRIMARY KEY,
  room_version TEXT NOT NULL,
  creator TEXT NOT NULL,
  created_ts INTEGER NOT NULL,
  is_public INTEGER NOT NULL DEFAULT 0,
  current_state_group INTEGER REFERENCES state_groups (id)
) STRICT;

CREATE TABLE events (
  event_nid INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL UNIQUE,
  room_id TEXT NOT NULL,
  type TEXT NOT NULL,
  state_key TEXT,
  sender TEXT NOT NULL,
  depth INTEGER NOT NULL,
  origin_server_ts INTEGER NOT NULL,
  json TEXT NOT NULL,
  stream_position INTEGER UNIQUE,
  rejection_reason TEXT,
  state_group_before INTEGER REFERENCES state_groups (id),
  state_group_after INTEGER REFERENCES state_groups (id),
  redacts TEXT,
  redacted_by TEXT
) STRICT;
CREATE INDEX events_room_stream ON events (room_id, stream_position);
CREATE INDEX events_room_depth ON events (room_id, depth, stream_position);
CREATE INDEX events_type_state_key ON events (type, state_key);
CREATE INDEX events_redacts ON events (redacts) WHERE redacts IS NOT NULL;

CREATE TABLE event_edges (
  event_id TEXT NOT NULL,
  prev_event_id TEXT NOT NULL,
  PRIMARY KEY (event_id, prev_event_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX event_edges_prev ON event_edges (prev_event_id);

CREATE TABLE event_auth (
  event_id TEXT NOT NULL,
  auth_event_id TEXT NOT NULL,
  PRIMARY KEY (event_id, auth_event_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE current_state (
  room_id TEXT NOT NULL,
  type TEXT NOT NULL,
  state_key TEXT NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (room_id, type, state_key)
) STRICT, WITHOUT ROWID;

CREATE TABLE room_memberships (
  room_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  membership TEXT NOT NULL,
  event_id TEXT NOT NULL,
  stream_position INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX room_memberships_by_user ON room_memberships (user_id, membership);
CREATE INDEX room_memberships_by_user_stream ON room_memberships (user_id, stream_position);

CREATE TABLE forward_extremities (
  room_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (room_id, event_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE txn_ids (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  txn_id TEXT NOT NULL,
  room_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  created_ts INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id, txn_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE account_data (
  user_id TEXT NOT NULL,
  room_id TEXT NOT NULL,
  type TEXT NOT NULL,
  content TEXT NOT NULL,
  stream_position INTEGER NOT NULL,
  PRIMARY KEY (user_id, room_id, type)
) STRICT, WITHOUT ROWID;
CREATE INDEX account_data_by_user_stream ON account_data (user_id, stream_position);

CREATE TABLE filters (
  filter_id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT NOT NULL,
  json TEXT NOT NULL
) STRICT;
`,
  },
  {
    version: 2,
    name: 'uia_sessions',
    sql: `
CREATE TABLE uia_sessions (
  session_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  user_id TEXT,
  params_hash TEXT NOT NULL,
  created_ts INTEGER NOT NULL,
  expires_ts INTEGER NOT NULL
) STRICT;
CREATE INDEX uia_sessions_by_expiry ON uia_sessions (expires_ts);

CREATE TABLE uia_session_stages (
  id INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES uia_sessions (session_id) ON DELETE CASCADE,
  stage TEXT NOT NULL,
  result TEXT NOT NULL,
  UNIQUE (session_id, stage)
) STRICT;
`,
  },
  {
    version: 3,
    name: 'room_aliases_and_forgotten_rooms',
    sql: `
CREATE TABLE room_aliases (
  alias TEXT PRIMARY KEY,
  room_id TEXT NOT NULL,
  creator TEXT NOT NULL,
  created_ts INTEGER NOT NULL
) STRICT;
CREATE INDEX room_aliases_by_room ON room_aliases (room_id);

CREATE TABLE forgotten_rooms (
  user_id TEXT NOT NULL,
  room_id TEXT NOT NULL,
  membership_event_id TEXT NOT NULL,
  PRIMARY KEY (user_id, room_id)
) STRICT, WITHOUT ROWID;
`,
  },
  {
    version: 4,
    name: 'sync_indexes',
    sql: `
CREATE INDEX txn_ids_by_event ON txn_ids (event_id);
CREATE INDEX room_memberships_by_room ON room_memberships (room_id, membership, stream_position);
`,
  },
]
