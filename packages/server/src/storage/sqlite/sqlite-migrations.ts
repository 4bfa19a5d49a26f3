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
) STRICT;
-- Accounts made before profiles existed get what a new account gets: the localpart as name.
INSERT INTO profiles (user_id, displayname, avatar_url, search_text)
SELECT user_id, localpart, NULL, ' ' || replace(replace(replace(replace(replace(replace(replace(replace(replace(lower(substr(user_id, 2)), '.', ' '), '_', ' '), '-', ' '), '=', ' '), '/', ' '), '+', ' '), ':', ' '), '[', ' '), ']', ' ') || ' ' FROM users;

-- The user directory looks up rooms by their join rule and history visibility.
CREATE INDEX current_state_by_type ON current_state (type, state_key);
CREATE INDEX rooms_published ON rooms (room_id) WHERE is_public = 1;
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
  expires_ts INTEGER NOT NULL,
  active INTEGER NOT NULL,
  stream_position INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX typing_by_room_stream ON typing (room_id, stream_position);
CREATE INDEX typing_active_by_expiry ON typing (expires_ts) WHERE active = 1;

CREATE TABLE presence (
  user_id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  status_msg TEXT,
  last_active_ts INTEGER NOT NULL,
  last_sync_ts INTEGER NOT NULL,
  stream_position INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
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
  event_position INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  stream_position INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id, receipt_type, thread_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX receipts_by_room_stream ON receipts (room_id, stream_position);

CREATE TABLE push_actions (
  user_id TEXT NOT NULL,
  room_id TEXT NOT NULL,
  stream_position INTEGER NOT NULL,
  thread_id TEXT NOT NULL,
  actions TEXT NOT NULL,
  highlight INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  PRIMARY KEY (user_id, room_id, stream_position)
) STRICT, WITHOUT ROWID;

CREATE TABLE read_positions (
  user_id TEXT NOT NULL,
  room_id TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (user_id, room_id, thread_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE push_cursor (
  name TEXT PRIMARY KEY,
  position INTEGER NOT NULL
) STRICT;
INSERT INTO push_cursor (name, position) SELECT 'events', position FROM stream_positions WHERE name = 'main';

CREATE INDEX account_data_by_type_stream ON account_data (type, stream_position);
`,
  },
  {
    version: 8,
    name: 'relations_and_search',
    // Relations and search text are written with each event (engine/event-index.ts decides what
    // they are) and dropped when it is redacted; the backfill indexes what earlier versions stored.
    // Search rows are keyed by the event's event_nid. A send only queues its text in
    // event_search_pending (a plain row); the FTS index takes it in batches (sqlite-search-store.ts).
    sql: `
CREATE TABLE event_relations (
  event_id TEXT PRIMARY KEY,
  room_id TEXT NOT NULL,
  relates_to_id TEXT NOT NULL,
  rel_type TEXT NOT NULL,
  aggregation_key TEXT,
  has_new_content INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;
CREATE INDEX event_relations_parent ON event_relations (relates_to_id, rel_type);
CREATE INDEX event_relations_room ON event_relations (room_id, rel_type, relates_to_id);

CREATE VIRTUAL TABLE event_search USING fts5 (
  text,
  key UNINDEXED,
  tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE event_search_pending (
  event_nid INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  text TEXT NOT NULL
) STRICT;

INSERT INTO event_relations (event_id, room_id, relates_to_id, rel_type, aggregation_key,
  has_new_content)
SELECT event_id, room_id, json_extract(json, '$.content."m.relates_to".event_id'),
  json_extract(json, '$.content."m.relates_to".rel_type'),
  CASE WHEN json_extract(json, '$.content."m.relates_to".rel_type') = 'm.annotation'
    AND json_type(json, '$.content."m.relates_to".key') = 'text'
    THEN json_extract(json, '$.content."m.relates_to".key') END,
  type = 'm.room.encrypted' OR json_type(json, '$.content."m.new_content"') IS 'object'
FROM events
WHERE rejection_reason IS NULL AND redacted_by IS NULL AND stream_position IS NOT NULL
  AND json_type(json, '$.content."m.relates_to".rel_type') = 'text'
  AND json_type(json, '$.content."m.relates_to".event_id') = 'text'
  AND json_extract(json, '$.content."m.relates_to".rel_type') <> ''
  AND json_extract(json, '$.content."m.relates_to".event_id') LIKE '$%'
  AND json_extract(json, '$.content."m.relates_to".event_id') <> event_id;

INSERT INTO event_search (rowid, text, key)
SELECT event_nid, json_extract(json, '$.content.' || field),  'content.' || field
FROM (SELECT event_nid, json, CASE type WHEN 'm.room.message' THEN 'body'
        WHEN 'm.room.name' THEN 'name' ELSE 'topic' END AS field
      FROM events
      WHERE rejection_reason IS NULL AND redacted_by IS NULL AND stream_position IS NOT NULL
        AND (type = 'm.room.message' OR (type IN ('m.room.name', 'm.room.topic') AND state_key = '')))
WHERE json_type(json, '$.content.' || field) = 'text'
  AND trim(json_extract(json, '$.content.' || field)) <> '';
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
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('event', 'room', 'user')),
  reporter TEXT NOT NULL,
  room_id TEXT,
  event_id TEXT,
  user_id TEXT,
  reason TEXT,
  score INTEGER,
  received_ts INTEGER NOT NULL
) STRICT;
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
  pushkey_ts INTEGER NOT NULL,
  PRIMARY KEY (user_id, app_id, pushkey),
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
) STRICT;
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
  position INTEGER NOT NULL,
  PRIMARY KEY (user_id, room_id)
) STRICT, WITHOUT ROWID;
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
) STRICT, WITHOUT ROWID;

CREATE TABLE one_time_keys (
  seq INTEGER PRIMARY KEY,
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  key_id TEXT NOT NULL,
  key_json TEXT NOT NULL,
  UNIQUE (user_id, device_id, algorithm, key_id),
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
) STRICT;

CREATE TABLE fallback_keys (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  key_id TEXT NOT NULL,
  key_json TEXT NOT NULL,
  used INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, device_id, algorithm),
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE cross_signing_keys (
  user_id TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
  usage TEXT NOT NULL,
  public_key TEXT NOT NULL,
  key_json TEXT NOT NULL,
  PRIMARY KEY (user_id, usage)
) STRICT, WITHOUT ROWID;

CREATE TABLE key_signatures (
  target_user_id TEXT NOT NULL,
  target_key_id TEXT NOT NULL,
  signer_user_id TEXT NOT NULL,
  signer_key_id TEXT NOT NULL,
  signature TEXT NOT NULL,
  PRIMARY KEY (target_user_id, target_key_id, signer_user_id, signer_key_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE device_list_changes (
  stream_position INTEGER NOT NULL,
  user_id TEXT NOT NULL,
  PRIMARY KEY (stream_position, user_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE to_device_messages (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  stream_position INTEGER NOT NULL,
  sender TEXT NOT NULL,
  type TEXT NOT NULL,
  content TEXT NOT NULL,
  PRIMARY KEY (user_id, device_id, stream_position),
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE to_device_txns (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  txn_id TEXT NOT NULL,
  PRIMARY KEY (user_id, device_id, txn_id),
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
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
  created_ts INTEGER NOT NULL,
  unused_expires_ts INTEGER,
  content_type TEXT,
  filename TEXT,
  size INTEGER,
  sha256 TEXT,
  uploaded_ts INTEGER,
  legacy_accessible INTEGER NOT NULL DEFAULT 0,
  quarantined INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;
CREATE INDEX media_pending_by_uploader ON media (uploader, unused_expires_ts)
  WHERE sha256 IS NULL;

CREATE TABLE media_thumbnails (
  media_id TEXT NOT NULL REFERENCES media (media_id) ON DELETE CASCADE,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  method TEXT NOT NULL CHECK (method IN ('crop', 'scale')),
  animated INTEGER NOT NULL DEFAULT 0,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  created_ts INTEGER NOT NULL,
  PRIMARY KEY (media_id, width, height, method, animated)
) STRICT, WITHOUT ROWID;
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
  last_version INTEGER NOT NULL
) STRICT;
CREATE TABLE key_backup_versions (
  user_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  algorithm TEXT NOT NULL,
  auth_data TEXT NOT NULL,
  etag INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  PRIMARY KEY (user_id, version)
) STRICT;
CREATE TABLE key_backup_keys (
  user_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  room_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  first_message_index INTEGER NOT NULL,
  forwarded_count INTEGER NOT NULL,
  is_verified INTEGER NOT NULL,
  session_data TEXT NOT NULL,
  PRIMARY KEY (user_id, version, room_id, session_id),
  FOREIGN KEY (user_id, version) REFERENCES key_backup_versions (user_id, version)
) STRICT;
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
  valid_until_ts INTEGER NOT NULL,
  expired_ts INTEGER,
  fetched_ts INTEGER NOT NULL,
  PRIMARY KEY (server_name, key_id)
) STRICT, WITHOUT ROWID;
CREATE TABLE server_key_responses (
  server_name TEXT NOT NULL PRIMARY KEY,
  response TEXT NOT NULL,
  valid_until_ts INTEGER NOT NULL,
  fetched_ts INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
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
  retry_last_ts INTEGER NOT NULL DEFAULT 0,
  retry_interval INTEGER NOT NULL DEFAULT 0,
  catching_up INTEGER NOT NULL DEFAULT 0,
  txn_id TEXT,
  txn_ts INTEGER,
  lease_owner TEXT,
  lease_expires_ts INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;
CREATE TABLE federation_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  destination TEXT NOT NULL REFERENCES federation_destinations (destination) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('pdu', 'edu')),
  room_id TEXT,
  event_id TEXT,
  content TEXT NOT NULL,
  queued_ts INTEGER NOT NULL,
  txn_id TEXT
) STRICT;
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
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  fetched_ts INTEGER NOT NULL,
  PRIMARY KEY (origin, media_id)
) STRICT, WITHOUT ROWID;
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
  stream_id INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE to_device_inbound_ids (
  sender TEXT NOT NULL,
  message_id TEXT NOT NULL,
  PRIMARY KEY (sender, message_id)
) STRICT, WITHOUT ROWID;
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
  stream_id INTEGER NOT NULL,
  tracked_at INTEGER NOT NULL,
  stale INTEGER NOT NULL DEFAULT 0,
  master_key TEXT,
  self_signing_key TEXT,
  fetched_ts INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE remote_devices (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  keys TEXT,
  display_name TEXT,
  PRIMARY KEY (user_id, device_id)
) STRICT, WITHOUT ROWID;
`,
  },
  {
    version: 21,
    name: 'to_device_inbound_received_ts',
    // When each m.direct_to_device message ID was taken in: a sender resends one only while it
    // has not had the transaction's answer, so the IDs are forgotten after a week.
    sql: `
ALTER TABLE to_device_inbound_ids ADD COLUMN received_ts INTEGER NOT NULL DEFAULT 0;
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
  stream_position INTEGER NOT NULL,
  thread_id TEXT NOT NULL,
  actions TEXT NOT NULL,
  highlight INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  PRIMARY KEY (room_id, stream_position)
) STRICT, WITHOUT ROWID;

ALTER TABLE push_actions ADD COLUMN notify INTEGER NOT NULL DEFAULT 1;

CREATE TABLE room_unread_changes (
  room_id TEXT NOT NULL PRIMARY KEY,
  position INTEGER NOT NULL,
  sender TEXT
) STRICT, WITHOUT ROWID;
`,
  },
]
