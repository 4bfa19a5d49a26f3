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
  {
    version: 5,
    name: 'profiles_and_directory',
    sql: `
-- One row per local user, made with the account. search_text holds the lowercased words of the
-- user ID and display name, each preceded by a space, so that "a word starts with w" is
-- LIKE '% w%' in either dialect (profile-search-text.ts computes it).
CREATE TABLE profiles (
  user_id TEXT PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
  displayname TEXT,
  avatar_url TEXT,
  search_text TEXT NOT NULL
);
-- Accounts made before profiles existed get what a new account gets: the localpart as name.
INSERT INTO profiles (user_id, displayname, avatar_url, search_text)
SELECT user_id, localpart, NULL, ' ' || replace(replace(replace(replace(replace(replace(replace(replace(replace(lower(substr(user_id, 2)), '.', ' '), '_', ' '), '-', ' '), '=', ' '), '/', ' '), '+', ' '), ':', ' '), '[', ' '), ']', ' ') || ' ' FROM users;

-- The user directory looks up rooms by their join rule and history visibility.
CREATE INDEX current_state_by_type ON current_state (type, state_key);
CREATE INDEX rooms_published ON rooms (room_id) WHERE is_public;
`,
  },
  {
    version: 6,
    name: 'ephemeral',
    // Typing notices and presence live here, not in one process's memory, so that every worker
    // serves the same answer (see storage/typing-store.ts and storage/presence-store.ts).
    sql: `
CREATE TABLE typing (
  room_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  expires_ts BIGINT NOT NULL,
  active BOOLEAN NOT NULL,
  stream_position BIGINT NOT NULL,
  PRIMARY KEY (room_id, user_id)
);
CREATE INDEX typing_by_room_stream ON typing (room_id, stream_position);
CREATE INDEX typing_active_by_expiry ON typing (expires_ts) WHERE active;

CREATE TABLE presence (
  user_id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  status_msg TEXT,
  last_active_ts BIGINT NOT NULL,
  last_sync_ts BIGINT NOT NULL,
  stream_position BIGINT NOT NULL
);
CREATE INDEX presence_by_stream ON presence (stream_position);
CREATE INDEX presence_not_offline ON presence (last_sync_ts) WHERE state <> 'offline';
CREATE INDEX presence_online_by_activity ON presence (last_active_ts) WHERE state = 'online';
`,
  },
  {
    version: 7,
    name: 'push_and_receipts',
    sql: `
CREATE TABLE receipts (
  room_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  receipt_type TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_position BIGINT NOT NULL,
  ts BIGINT NOT NULL,
  stream_position BIGINT NOT NULL,
  PRIMARY KEY (room_id, user_id, receipt_type, thread_id)
);
CREATE INDEX receipts_by_room_stream ON receipts (room_id, stream_position);

CREATE TABLE push_actions (
  user_id TEXT NOT NULL,
  room_id TEXT NOT NULL,
  stream_position BIGINT NOT NULL,
  thread_id TEXT NOT NULL,
  actions TEXT NOT NULL,
  highlight BOOLEAN NOT NULL,
  ts BIGINT NOT NULL,
  PRIMARY KEY (user_id, room_id, stream_position)
);

CREATE TABLE read_positions (
  user_id TEXT NOT NULL,
  room_id TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  position BIGINT NOT NULL,
  PRIMARY KEY (user_id, room_id, thread_id)
);

CREATE TABLE push_cursor (
  name TEXT PRIMARY KEY,
  position BIGINT NOT NULL
);
INSERT INTO push_cursor (name, position) SELECT 'events', position FROM stream_positions WHERE name = 'main';

CREATE INDEX account_data_by_type_stream ON account_data (type, stream_position);
`,
  },
  {
    version: 8,
    name: 'relations_and_search',
    // Relations and search vectors are written with each event (engine/event-index.ts decides
    // what they are) and dropped when it is redacted; the backfill indexes what earlier versions
    // stored (skipping events with a \u0000 escape, which jsonb refuses). Search uses the
    // 'english' configuration (stemming and stop words).
    sql: `
CREATE TABLE event_relations (
  event_id TEXT PRIMARY KEY,
  room_id TEXT NOT NULL,
  relates_to_id TEXT NOT NULL,
  rel_type TEXT NOT NULL,
  aggregation_key TEXT,
  has_new_content BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX event_relations_parent ON event_relations (relates_to_id, rel_type);
CREATE INDEX event_relations_room ON event_relations (room_id, rel_type, relates_to_id);

CREATE TABLE event_search (
  event_id TEXT PRIMARY KEY,
  key TEXT NOT NULL,
  vector TSVECTOR NOT NULL
);
CREATE INDEX event_search_vector ON event_search USING GIN (vector);

INSERT INTO event_relations (event_id, room_id, relates_to_id, rel_type, aggregation_key,
  has_new_content)
SELECT event_id, room_id, rel->>'event_id', rel->>'rel_type',
  CASE WHEN rel->>'rel_type' = 'm.annotation' AND jsonb_typeof(rel->'key') = 'string'
    THEN rel->>'key' END,
  type = 'm.room.encrypted' OR jsonb_typeof(new_content) IS NOT DISTINCT FROM 'object'
FROM (SELECT event_id, room_id, type, json::jsonb->'content'->'m.relates_to' AS rel,
        json::jsonb->'content'->'m.new_content' AS new_content FROM events
      WHERE rejection_reason IS NULL AND redacted_by IS NULL AND stream_position IS NOT NULL
        AND position('m.relates_to' in json) > 0 AND position('\\u0000' in json) = 0) candidates
WHERE jsonb_typeof(rel) = 'object'
  AND jsonb_typeof(rel->'rel_type') = 'string' AND jsonb_typeof(rel->'event_id') = 'string'
  AND rel->>'rel_type' <> '' AND rel->>'event_id' LIKE '$%' AND rel->>'event_id' <> event_id;

INSERT INTO event_search (event_id, key, vector)
SELECT event_id, 'content.' || field, to_tsvector('english', value->>field)
FROM (SELECT event_id, json::jsonb->'content' AS value,
        CASE type WHEN 'm.room.message' THEN 'body' WHEN 'm.room.name' THEN 'name'
          ELSE 'topic' END AS field
      FROM events
      WHERE rejection_reason IS NULL AND redacted_by IS NULL AND stream_position IS NOT NULL
        AND (type = 'm.room.message' OR (type IN ('m.room.name', 'm.room.topic') AND state_key = ''))
        AND position('\\u0000' in json) = 0) candidates
WHERE jsonb_typeof(value->field) = 'string' AND trim(value->>field) <> '';
`,
  },
  {
    version: 9,
    name: 'leaner_event_writes',
    // Every tree an event insert touches is another page written and synced per send. These
    // were never read: events are found by ID, room and stream position, and auth events are
    // in each event's own JSON.
    sql: `
DROP INDEX events_room_depth;
DROP INDEX events_type_state_key;
DROP TABLE event_auth;
`,
  },
  {
    version: 10,
    name: 'content_reports',
    // Reports of events, rooms and users (client-server-api §Reporting Content), for admins.
    // user_id is the reported user, or the sender of a reported event.
    sql: `
CREATE TABLE content_reports (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('event', 'room', 'user')),
  reporter TEXT NOT NULL,
  room_id TEXT,
  event_id TEXT,
  user_id TEXT,
  reason TEXT,
  score INTEGER,
  received_ts BIGINT NOT NULL
);
`,
  },
  {
    version: 11,
    name: 'pushers',
    // HTTP pushers (client-server-api §Pushers). Each belongs to the device whose access token
    // set it, so deleting the device (logout, DELETE /devices, deactivation) deletes it.
    // data is the client's JSON object, url included.
    sql: `
CREATE TABLE pushers (
  user_id TEXT NOT NULL,
  app_id TEXT NOT NULL,
  pushkey TEXT NOT NULL,
  device_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  app_display_name TEXT NOT NULL,
  device_display_name TEXT NOT NULL,
  profile_tag TEXT,
  lang TEXT NOT NULL,
  data TEXT NOT NULL,
  pushkey_ts BIGINT NOT NULL,
  PRIMARY KEY (user_id, app_id, pushkey),
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);
CREATE INDEX pushers_app_pushkey ON pushers (app_id, pushkey);
`,
  },
  {
    version: 12,
    name: 'unread_changes',
    // Where each user's unread counts in a room last changed through the push processor (its
    // batches take a stream position): an incremental /sync includes the room when that position
    // is in its range, though the room has no new event (sync/unread-sync.ts).
    sql: `
CREATE TABLE unread_changes (
  user_id TEXT NOT NULL,
  room_id TEXT NOT NULL,
  position BIGINT NOT NULL,
  PRIMARY KEY (user_id, room_id)
);
CREATE INDEX unread_changes_by_user_position ON unread_changes (user_id, position);
`,
  },
  {
    version: 13,
    name: 'e2e_keys',
    // End-to-end encryption (client-server-api §End-to-End Encryption, §Send-to-Device
    // messaging). Keys and pending to-device messages belong to a device and go with it.
    // one_time_keys.seq orders claims by upload. Signatures uploaded separately are kept apart
    // from the keys they sign, so replacing a key never loses another user's signature row and a
    // reader can choose which signatures a viewer may see. device_list_changes and to-device
    // messages are positions on the one stream that /sync reads.
    sql: `
CREATE TABLE device_keys (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  key_json TEXT NOT NULL,
  PRIMARY KEY (user_id, device_id),
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);

CREATE TABLE one_time_keys (
  seq BIGSERIAL PRIMARY KEY,
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  key_id TEXT NOT NULL,
  key_json TEXT NOT NULL,
  UNIQUE (user_id, device_id, algorithm, key_id),
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);

CREATE TABLE fallback_keys (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  key_id TEXT NOT NULL,
  key_json TEXT NOT NULL,
  used BOOLEAN NOT NULL DEFAULT FALSE,
  PRIMARY KEY (user_id, device_id, algorithm),
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);

CREATE TABLE cross_signing_keys (
  user_id TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
  usage TEXT NOT NULL,
  public_key TEXT NOT NULL,
  key_json TEXT NOT NULL,
  PRIMARY KEY (user_id, usage)
);

CREATE TABLE key_signatures (
  target_user_id TEXT NOT NULL,
  target_key_id TEXT NOT NULL,
  signer_user_id TEXT NOT NULL,
  signer_key_id TEXT NOT NULL,
  signature TEXT NOT NULL,
  PRIMARY KEY (target_user_id, target_key_id, signer_user_id, signer_key_id)
);

CREATE TABLE device_list_changes (
  stream_position BIGINT NOT NULL,
  user_id TEXT NOT NULL,
  PRIMARY KEY (stream_position, user_id)
);

CREATE TABLE to_device_messages (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  stream_position BIGINT NOT NULL,
  sender TEXT NOT NULL,
  type TEXT NOT NULL,
  content TEXT NOT NULL,
  PRIMARY KEY (user_id, device_id, stream_position),
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);

CREATE TABLE to_device_txns (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  txn_id TEXT NOT NULL,
  PRIMARY KEY (user_id, device_id, txn_id),
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);
`,
  },
  {
    version: 14,
    name: 'media',
    // The content repository (client-server-api §Content repository). The bytes are files named
    // by their SHA-256 under data_dir/media; a row without sha256 is a media ID reserved by
    // POST /create whose content has not arrived (it lapses at unused_expires_ts).
    // legacy_accessible marks media uploaded while the unauthenticated download endpoints still
    // served new uploads. Thumbnails are cached per media, size, method and animation.
    sql: `
CREATE TABLE media (
  media_id TEXT NOT NULL PRIMARY KEY,
  uploader TEXT NOT NULL,
  created_ts BIGINT NOT NULL,
  unused_expires_ts BIGINT,
  content_type TEXT,
  filename TEXT,
  size BIGINT,
  sha256 TEXT,
  uploaded_ts BIGINT,
  legacy_accessible BOOLEAN NOT NULL DEFAULT FALSE,
  quarantined BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX media_pending_by_uploader ON media (uploader, unused_expires_ts)
  WHERE sha256 IS NULL;

CREATE TABLE media_thumbnails (
  media_id TEXT NOT NULL REFERENCES media (media_id) ON DELETE CASCADE,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  method TEXT NOT NULL CHECK (method IN ('crop', 'scale')),
  animated BOOLEAN NOT NULL DEFAULT FALSE,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  created_ts BIGINT NOT NULL,
  PRIMARY KEY (media_id, width, height, method, animated)
);
`,
  },
  {
    version: 15,
    name: 'key_backup',
    // Server-side key backups (client-server-api §Server-side key backups). key_backup_users
    // hands out each user's version numbers in order, and is the row that every change to the
    // user's backups locks first. A deleted version keeps its row (deleting it again succeeds)
    // but none of its keys; etag counts the changes to a version's keys.
    sql: `
CREATE TABLE key_backup_users (
  user_id TEXT NOT NULL PRIMARY KEY,
  last_version BIGINT NOT NULL
);
CREATE TABLE key_backup_versions (
  user_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  algorithm TEXT NOT NULL,
  auth_data TEXT NOT NULL,
  etag BIGINT NOT NULL,
  deleted BOOLEAN NOT NULL,
  PRIMARY KEY (user_id, version)
);
CREATE TABLE key_backup_keys (
  user_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  room_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  first_message_index BIGINT NOT NULL,
  forwarded_count BIGINT NOT NULL,
  is_verified BOOLEAN NOT NULL,
  session_data TEXT NOT NULL,
  PRIMARY KEY (user_id, version, room_id, session_id),
  FOREIGN KEY (user_id, version) REFERENCES key_backup_versions (user_id, version)
);
`,
  },
  {
    version: 16,
    name: 'server_keys',
    // Other servers' signing keys (server-server-api §Retrieving server keys). server_keys holds
    // each key with how long it may be used (valid_until_ts, already capped at seven days after
    // fetched_ts; for a key from old_verify_keys its expired_ts). server_key_responses keeps each
    // server's latest signed response as it was received, for answering notary queries.
    sql: `
CREATE TABLE server_keys (
  server_name TEXT NOT NULL,
  key_id TEXT NOT NULL,
  public_key TEXT NOT NULL,
  valid_until_ts BIGINT NOT NULL,
  expired_ts BIGINT,
  fetched_ts BIGINT NOT NULL,
  PRIMARY KEY (server_name, key_id)
);
CREATE TABLE server_key_responses (
  server_name TEXT NOT NULL PRIMARY KEY,
  response TEXT NOT NULL,
  valid_until_ts BIGINT NOT NULL,
  fetched_ts BIGINT NOT NULL
);
`,
  },
  {
    version: 17,
    name: 'federation_queue',
    // The outbound federation queue (server-server-api §Transactions). A destination's row holds
    // its retry schedule, its catch-up flag, the transaction being sent (txn_id, txn_ts: a retry
    // resends it under the same ID) and the lease of the process sending to it. Outbox rows are
    // sent oldest first; txn_id marks the rows of the pending transaction.
    sql: `
CREATE TABLE federation_destinations (
  destination TEXT NOT NULL PRIMARY KEY,
  retry_last_ts BIGINT NOT NULL DEFAULT 0,
  retry_interval BIGINT NOT NULL DEFAULT 0,
  catching_up BOOLEAN NOT NULL DEFAULT FALSE,
  txn_id TEXT,
  txn_ts BIGINT,
  lease_owner TEXT,
  lease_expires_ts BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE federation_outbox (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  destination TEXT NOT NULL REFERENCES federation_destinations (destination) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('pdu', 'edu')),
  room_id TEXT,
  event_id TEXT,
  content TEXT NOT NULL,
  queued_ts BIGINT NOT NULL,
  txn_id TEXT
);
CREATE INDEX federation_outbox_in_order ON federation_outbox (destination, kind, id);
CREATE INDEX federation_outbox_by_room ON federation_outbox (destination, room_id, id)
  WHERE kind = 'pdu';
CREATE UNIQUE INDEX federation_outbox_event_once ON federation_outbox (destination, event_id)
  WHERE kind = 'pdu';
`,
  },
  {
    version: 18,
    name: 'remote_media',
    // Media of other servers fetched over federation and kept, by the server and media ID of its
    // mxc:// URI (server-server-api §Content Repository). The bytes sit with local media's, named
    // by their SHA-256 (media/media-files.ts).
    sql: `
CREATE TABLE remote_media (
  origin TEXT NOT NULL,
  media_id TEXT NOT NULL,
  content_type TEXT,
  filename TEXT,
  size BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  fetched_ts BIGINT NOT NULL,
  PRIMARY KEY (origin, media_id)
);
`,
  },
  {
    version: 19,
    name: 'federated_e2ee',
    // Device lists and to-device messages across servers (server-server-api §Device Management,
    // §Send-to-device messaging): the last `stream_id` of each local user's m.device_list_update
    // EDUs, which the next one names as its `prev_id`, and the (sender, message_id) of each
    // m.direct_to_device EDU taken in, so that a resent one is delivered only once.
    sql: `
CREATE TABLE device_list_outbound_streams (
  user_id TEXT NOT NULL PRIMARY KEY,
  stream_id BIGINT NOT NULL
);

CREATE TABLE to_device_inbound_ids (
  sender TEXT NOT NULL,
  message_id TEXT NOT NULL,
  PRIMARY KEY (sender, message_id)
);
`,
  },
  {
    version: 20,
    name: 'remote_device_lists',
    // Other servers' users' device lists, kept while they share a room with this server's users
    // (server-server-api §Device Management): the last `stream_id` applied, the stream position
    // from which sharing is known to be unbroken (tracked_at), whether an update was missed
    // (stale: resync through /user/devices), the cross-signing keys, and each device's keys.
    sql: `
CREATE TABLE remote_device_lists (
  user_id TEXT NOT NULL PRIMARY KEY,
  stream_id BIGINT NOT NULL,
  tracked_at BIGINT NOT NULL,
  stale BOOLEAN NOT NULL DEFAULT FALSE,
  master_key TEXT,
  self_signing_key TEXT,
  fetched_ts BIGINT NOT NULL
);

CREATE TABLE remote_devices (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  keys TEXT,
  display_name TEXT,
  PRIMARY KEY (user_id, device_id)
);
`,
  },
  {
    version: 21,
    name: 'to_device_inbound_received_ts',
    // When each m.direct_to_device message ID was taken in: a sender resends one only while it
    // has not had the transaction's answer, so the IDs are forgotten after a week.
    sql: `
ALTER TABLE to_device_inbound_ids ADD COLUMN received_ts BIGINT NOT NULL DEFAULT 0;
`,
  },
  {
    version: 22,
    name: 'push_room_actions',
    // Push actions shared by a room (push-store.ts, NewRoomPushAction): one row per event for
    // the members who share the server-default outcome, user rows only where a member's own
    // outcome differs (`notify` false: the event does not notify them), and the position at
    // which each room's shared counts last changed, for /sync, with the sender of the events
    // then (NULL for several), whose counts they did not change.
    sql: `
CREATE TABLE push_room_actions (
  room_id TEXT NOT NULL,
  stream_position BIGINT NOT NULL,
  thread_id TEXT NOT NULL,
  actions TEXT NOT NULL,
  highlight BOOLEAN NOT NULL,
  ts BIGINT NOT NULL,
  PRIMARY KEY (room_id, stream_position)
);

ALTER TABLE push_actions ADD COLUMN notify BOOLEAN NOT NULL DEFAULT TRUE;

CREATE TABLE room_unread_changes (
  room_id TEXT NOT NULL PRIMARY KEY,
  position BIGINT NOT NULL,
  sender TEXT
);
`,
  },
]
