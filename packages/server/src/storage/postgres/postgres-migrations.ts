import type { Migration } from '../migration.js'

/**
 * The PostgreSQL schema: the same tables as SQLite's, with BIGINT for positions, timestamps and
 * IDs, BOOLEAN flags and identity columns. JSON is stored as the canonical JSON text (not JSONB,
 * which would reorder keys and lose the exact bytes).
 */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
CREATE TABLE stream_positions (
  name TEXT PRIMARY KEY,
  position BIGINT NOT NULL
);
INSERT INTO stream_positions (name, position) VALUES ('main', 0);

CREATE TABLE users (
  user_id TEXT PRIMARY KEY,
  localpart TEXT NOT NULL UNIQUE,
  password_hash TEXT,
  is_admin BOOLEAN NOT NULL DEFAULT FALSE,
  is_deactivated BOOLEAN NOT NULL DEFAULT FALSE,
  created_ts BIGINT NOT NULL
);

CREATE TABLE devices (
  user_id TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
  device_id TEXT NOT NULL,
  display_name TEXT,
  last_seen_ts BIGINT,
  last_seen_ip TEXT,
  created_ts BIGINT NOT NULL,
  PRIMARY KEY (user_id, device_id)
);

CREATE TABLE access_tokens (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  created_ts BIGINT NOT NULL,
  last_used_ts BIGINT,
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);
CREATE INDEX access_tokens_by_device ON access_tokens (user_id, device_id);

CREATE TABLE registration_tokens (
  token TEXT PRIMARY KEY,
  uses_allowed INTEGER,
  pending INTEGER NOT NULL DEFAULT 0,
  completed INTEGER NOT NULL DEFAULT 0,
  expiry_time BIGINT
);

CREATE TABLE state_groups (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  room_id TEXT NOT NULL,
  prev_group BIGINT REFERENCES state_groups (id),
  delta_count INTEGER NOT NULL
);

CREATE TABLE state_group_entries (
  group_id BIGINT NOT NULL REFERENCES state_groups (id),
  type TEXT NOT NULL,
  state_key TEXT NOT NULL,
  event_id TEXT,
  PRIMARY KEY (group_id, type, state_key)
);

CREATE TABLE rooms (
  room_id TEXT PRIMARY KEY,
  room_version TEXT NOT NULL,
  creator TEXT NOT NULL,
  created_ts BIGINT NOT NULL,
  is_public BOOLEAN NOT NULL DEFAULT FALSE,
  current_state_group BIGINT REFERENCES state_groups (id)
);

CREATE TABLE events (
  event_nid BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  room_id TEXT NOT NULL,
  type TEXT NOT NULL,
  state_key TEXT,
  sender TEXT NOT NULL,
  depth BIGINT NOT NULL,
  origin_server_ts BIGINT NOT NULL,
  json TEXT NOT NULL,
  stream_position BIGINT UNIQUE,
  rejection_reason TEXT,
  state_group_before BIGINT REFERENCES state_groups (id),
  state_group_after BIGINT REFERENCES state_groups (id),
  redacts TEXT,
  redacted_by TEXT
);
CREATE INDEX events_room_stream ON events (room_id, stream_position);
CREATE INDEX events_room_depth ON events (room_id, depth, stream_position);
CREATE INDEX events_type_state_key ON events (type, state_key);
CREATE INDEX events_redacts ON events (redacts) WHERE redacts IS NOT NULL;

CREATE TABLE event_edges (
  event_id TEXT NOT NULL,
  prev_event_id TEXT NOT NULL,
  PRIMARY KEY (event_id, prev_event_id)
);
CREATE INDEX event_edges_prev ON event_edges (prev_event_id);

CREATE TABLE event_auth (
  event_id TEXT NOT NULL,
  auth_event_id TEXT NOT NULL,
  PRIMARY KEY (event_id, auth_event_id)
);

CREATE TABLE current_state (
  room_id TEXT NOT NULL,
  type TEXT NOT NULL,
  state_key TEXT NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (room_id, type, state_key)
);

CREATE TABLE room_memberships (
  room_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  membership TEXT NOT NULL,
  event_id TEXT NOT NULL,
  stream_position BIGINT NOT NULL,
  PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_memberships_by_user ON room_memberships (user_id, membership);
CREATE INDEX room_memberships_by_user_stream ON room_memberships (user_id, stream_position);

CREATE TABLE forward_extremities (
  room_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (room_id, event_id)
);

CREATE TABLE txn_ids (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  txn_id TEXT NOT NULL,
  room_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  created_ts BIGINT NOT NULL,
  PRIMARY KEY (user_id, device_id, txn_id)
);

CREATE TABLE account_data (
  user_id TEXT NOT NULL,
  room_id TEXT NOT NULL,
  type TEXT NOT NULL,
  content TEXT NOT NULL,
  stream_position BIGINT NOT NULL,
  PRIMARY KEY (user_id, room_id, type)
);
CREATE INDEX account_data_by_user_stream ON account_data (user_id, stream_position);

CREATE TABLE filters (
  filter_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id TEXT NOT NULL,
  json TEXT NOT NULL
);
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
  created_ts BIGINT NOT NULL,
  expires_ts BIGINT NOT NULL
);
CREATE INDEX uia_sessions_by_expiry ON uia_sessions (expires_ts);

CREATE TABLE uia_session_stages (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES uia_sessions (session_id) ON DELETE CASCADE,
  stage TEXT NOT NULL,
  result TEXT NOT NULL,
  UNIQUE (session_id, stage)
);
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
  created_ts BIGINT NOT NULL
);
CREATE INDEX room_aliases_by_room ON room_aliases (room_id);

CREATE TABLE forgotten_rooms (
  user_id TEXT NOT NULL,
  room_id TEXT NOT NULL,
  membership_event_id TEXT NOT NULL,
  PRIMARY KEY (user_id, room_id)
);
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
