import type { RoomVersionRules } from './rules.js'

const V1: RoomVersionRules = {
  id: '1',
  stability: 'stable',
  eventFormat: {
    eventIdFormat: 'origin-assigned',
    eventReferencesIncludeHashes: true,
    roomIdIsCreateEventHash: false,
    strictCanonicalJson: false,
    enforceKeyValidity: false,
  },
  redaction: {
    keepAliasesContent: true,
    keepJoinRulesAllow: false,
    keepJoinAuthorisedViaUsersServer: false,
    v11Redaction: false,
  },
  auth: {
    specialCaseAliasesAuth: true,
    specialCaseRedactionAuth: true,
    notificationsPowerLevels: false,
    knocking: false,
    restrictedJoinRule: false,
    knockRestrictedJoinRule: false,
    integerPowerLevels: false,
    createEventHasCreator: true,
    privilegedCreators: false,
    createRoomIdDomainMatchesSender: true,
  },
  stateResolution: 'v1',
}

const V2: RoomVersionRules = { ...V1, id: '2', stateResolution: 'v2' }

const V3: RoomVersionRules = {
  ...V2,
  id: '3',
  eventFormat: {
    ...V2.eventFormat,
    eventIdFormat: 'reference-hash-standard',
    eventReferencesIncludeHashes: false,
  },
  auth: { ...V2.auth, specialCaseRedactionAuth: false },
}

const V4: RoomVersionRules = {
  ...V3,
  id: '4',
  eventFormat: { ...V3.eventFormat, eventIdFormat: 'reference-hash-url-safe' },
}

const V5: RoomVersionRules = {
  ...V4,
  id: '5',
  eventFormat: { ...V4.eventFormat, enforceKeyValidity: true },
}

const V6: RoomVersionRules = {
  ...V5,
  id: '6',
  eventFormat: { ...V5.eventFormat, strictCanonicalJson: true },
  redaction: { ...V5.redaction, keepAliasesContent: false },
  auth: { ...V5.auth, specialCaseAliasesAuth: false, notificationsPowerLevels: true },
}

const V7: RoomVersionRules = { ...V6, id: '7', auth: { ...V6.auth, knocking: true } }

const V8: RoomVersionRules = {
  ...V7,
  id: '8',
  redaction: { ...V7.redaction, keepJoinRulesAllow: true },
  auth: { ...V7.auth, restrictedJoinRule: true },
}

const V9: RoomVersionRules = {
  ...V8,
  id: '9',
  redaction: { ...V8.redaction, keepJoinAuthorisedViaUsersServer: true },
}

const V10: RoomVersionRules = {
  ...V9,
  id: '10',
  auth: { ...V9.auth, knockRestrictedJoinRule: true, integerPowerLevels: true },
}

const V11: RoomVersionRules = {
  ...V10,
  id: '11',
  redaction: { ...V10.redaction, v11Redaction: true },
  auth: { ...V10.auth, createEventHasCreator: false },
}

const V12: RoomVersionRules = {
  ...V11,
  id: '12',
  eventFormat: { ...V11.eventFormat, roomIdIsCreateEventHash: true },
  auth: { ...V11.auth, privilegedCreators: true, createRoomIdDomainMatchesSender: false },
  stateResolution: 'v2.1',
}

/** Every room version this implementation knows, by its identifier. */
export const ROOM_VERSIONS: ReadonlyMap<string, RoomVersionRules> = new Map(
  [V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12].map((rules) => [rules.id, rules]),
)

/** The version new rooms get when the creator does not ask for one (the spec recommends 12). */
export const DEFAULT_ROOM_VERSION = '12'

/** The rules of a room version, or undefined for a version this implementation does not know. */
export function roomVersionRules(version: string): RoomVersionRules | undefined {
  return ROOM_VERSIONS.get(version)
}
