/**
 * What distinguishes one room version from another, as data. Code asks `rules.auth.knocking`, never
 * `version === '7'`, so a new room version is a new row in the table and not a hunt through the code.
 */

/** How event IDs are formed. */
export type EventIdFormat =
  /** `$opaque:server`, chosen by the origin server and carried in the event (v1, v2). */
  | 'origin-assigned'
  /** `$` + the reference hash in standard unpadded base64 (v3). */
  | 'reference-hash-standard'
  /** `$` + the reference hash in URL-safe unpadded base64 (v4 and later). */
  | 'reference-hash-url-safe'

export interface EventFormatRules {
  readonly eventIdFormat: EventIdFormat
  /** v1/v2 reference other events as `[event_id, {sha256: hash}]` pairs; later versions as plain IDs. */
  readonly eventReferencesIncludeHashes: boolean
  /**
   * v12: the room ID is `!` + the create event's reference hash (URL-safe), the create event carries
   * no `room_id`, and the create event is never listed in `auth_events`.
   */
  readonly roomIdIsCreateEventHash: boolean
  /** v6+: canonical JSON is enforced (integers only, within [-(2^53)+1, 2^53-1]; no floats). */
  readonly strictCanonicalJson: boolean
  /** v5+: an event signed with a key must fall within that key's `valid_until_ts`. */
  readonly enforceKeyValidity: boolean
}

export interface RedactionRules {
  /** v1-v5 keep `content.aliases` of `m.room.aliases`. */
  readonly keepAliasesContent: boolean
  /** v8+ keep `content.allow` of `m.room.join_rules`. */
  readonly keepJoinRulesAllow: boolean
  /** v9+ keep `content.join_authorised_via_users_server` of `m.room.member`. */
  readonly keepJoinAuthorisedViaUsersServer: boolean
  /**
   * v11+: keep all of `m.room.create` content, `content.redacts` of `m.room.redaction`, and
   * `content.invite` of `m.room.power_levels`; stop keeping top-level `origin`, `membership` and
   * `prev_state`.
   */
  readonly v11Redaction: boolean
}

export interface AuthorizationRules {
  /** v1-v5: rule 4, the special case for `m.room.aliases`. */
  readonly specialCaseAliasesAuth: boolean
  /** v1-v2: the redaction rule in the auth rules (same-domain redactions). Later it moved to receipt. */
  readonly specialCaseRedactionAuth: boolean
  /** v6+: the `notifications` property of power levels is checked like `events`. */
  readonly notificationsPowerLevels: boolean
  /** v7+: `knock` membership and join rule. */
  readonly knocking: boolean
  /** v8+: the `restricted` join rule with `join_authorised_via_users_server`. */
  readonly restrictedJoinRule: boolean
  /** v10+: the `knock_restricted` join rule. */
  readonly knockRestrictedJoinRule: boolean
  /** v10+: power-level values must be integers (v1-v9 accept numeric strings). */
  readonly integerPowerLevels: boolean
  /** v1-v10: `m.room.create` must carry `content.creator`; v11+ uses the sender. */
  readonly createEventHasCreator: boolean
  /**
   * v12: the create event's sender and `content.additional_creators` are creators with infinite
   * power, who must not appear in the power-levels `users` map.
   */
  readonly privilegedCreators: boolean
  /** v1-v11: the create event's `room_id` domain must match its sender's domain. */
  readonly createRoomIdDomainMatchesSender: boolean
}

export type StateResolutionAlgorithm = 'v1' | 'v2' | 'v2.1'

export interface RoomVersionRules {
  readonly id: string
  readonly stability: 'stable' | 'unstable'
  readonly eventFormat: EventFormatRules
  readonly redaction: RedactionRules
  readonly auth: AuthorizationRules
  readonly stateResolution: StateResolutionAlgorithm
}
