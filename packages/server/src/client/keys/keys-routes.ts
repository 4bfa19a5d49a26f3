/**
 * The key management endpoints (client-server-api §Key management API, §Cross-signing) and
 * `/sendToDevice` (§Send-to-Device messaging).
 */
import {
  err,
  isJsonObject,
  ok,
  parseUserId,
  type JsonObject,
  type Result,
  type UserId,
} from '@rhizome/core'
import { parseAuthDict } from '../../accounts/uia/auth-dict.js'
import { E2eeService, type CrossSigningUpload } from '../../e2ee/e2ee-service.js'
import {
  keyRequestTimeout,
  parseKeyClaim,
  parseKeyQuery,
  parseKeyUpload,
} from '../../e2ee/key-requests.js'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { badJson, serverError, type ServerError } from '../../http/errors.js'
import { parseSyncToken } from '../../sync/sync-token.js'
import type { CrossSigningUsage } from '../../storage/e2e-key-store.js'
import { CROSS_SIGNING_FIELDS } from '../../e2ee/cross-signing-key.js'
import { eventTypeParam, txnIdParam } from '../rooms/params.js'

export interface KeyRouteServices {
  readonly e2ee: E2eeService
}

const postKeysUpload = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/keys/upload'),
  auth: 'required',
  body: parseKeyUpload,
})

const postKeysQuery = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/keys/query'),
  auth: 'required',
  body: withTimeout(parseKeyQuery),
})

const postKeysClaim = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/keys/claim'),
  auth: 'required',
  body: withTimeout(parseKeyClaim),
})

const getKeysChanges = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/keys/changes'),
  auth: 'required',
  query: parseChangesQuery,
})

const postDeviceSigningUpload = defineEndpoint({
  method: 'POST',
  // The v1 path is what clients from before spec v1.1 call.
  paths: [
    ...clientV3Paths('/keys/device_signing/upload'),
    '/_matrix/client/unstable/keys/device_signing/upload',
  ],
  auth: 'required',
  body: parseCrossSigningUpload,
})

const postSignaturesUpload = defineEndpoint({
  method: 'POST',
  paths: [
    ...clientV3Paths('/keys/signatures/upload'),
    '/_matrix/client/unstable/keys/signatures/upload',
  ],
  auth: 'required',
  body: parseObjectMapBody,
})

const putSendToDevice = defineEndpoint({
  method: 'PUT',
  paths: clientV3Paths('/sendToDevice/:eventType/:txnId'),
  auth: 'required',
  params: { eventType: eventTypeParam, txnId: txnIdParam },
  body: parseSendToDeviceBody,
})

export const keyRoutes = [
  handle(postKeysUpload, ({ requester, body }, { e2ee }: KeyRouteServices) =>
    e2ee.uploadKeys(requester, body),
  ),
  handle(postKeysQuery, async ({ requester, body }, { e2ee }: KeyRouteServices) =>
    ok(await e2ee.queryKeys(requester, body.request, body.timeoutMs)),
  ),
  handle(postKeysClaim, async ({ body }, { e2ee }: KeyRouteServices) =>
    ok(await e2ee.claimKeys(body.request, body.timeoutMs)),
  ),
  handle(getKeysChanges, async ({ requester, query }, { e2ee }: KeyRouteServices) =>
    ok(await e2ee.keyChanges(requester, query.from, query.to)),
  ),
  handle(postDeviceSigningUpload, ({ requester, body }, { e2ee }: KeyRouteServices) =>
    e2ee.uploadCrossSigningKeys(requester, body),
  ),
  handle(postSignaturesUpload, async ({ requester, body }, { e2ee }: KeyRouteServices) =>
    ok(await e2ee.uploadSignatures(requester, body)),
  ),
  handle(putSendToDevice, ({ requester, params, body }, { e2ee }: KeyRouteServices) =>
    e2ee.sendToDevice(requester, params.eventType, params.txnId, body),
  ),
]

/** A body parser that also reads the body's `timeout` (how long other servers may take). */
function withTimeout<T>(
  parse: (body: JsonObject) => Result<T, ServerError>,
): (body: JsonObject) => Result<{ request: T; timeoutMs: number | undefined }, ServerError> {
  return (body) => {
    const request = parse(body)
    return request.ok ? ok({ request: request.value, timeoutMs: keyRequestTimeout(body) }) : request
  }
}

export function parseChangesQuery(
  query: URLSearchParams,
): Result<{ readonly from: number; readonly to: number }, ServerError> {
  const from = query.get('from')
  const to = query.get('to')
  if (from === null || to === null) {
    return err(serverError('M_MISSING_PARAM', 'from and to are required'))
  }
  const fromPosition = parseSyncToken(from)
  if (!fromPosition.ok) return fromPosition
  const toPosition = parseSyncToken(to)
  if (!toPosition.ok) return toPosition
  return ok({ from: fromPosition.value, to: toPosition.value })
}

export function parseCrossSigningUpload(body: JsonObject): Result<CrossSigningUpload, ServerError> {
  const keys: Partial<Record<CrossSigningUsage, JsonObject>> = {}
  for (const [usage, field] of Object.entries(CROSS_SIGNING_FIELDS)) {
    const value = body[field]
    if (value === undefined || value === null) continue
    if (!isJsonObject(value)) return err(badJson(`${field} must be an object`))
    keys[usage as CrossSigningUsage] = value
  }
  const auth = parseAuthDict(body)
  if (!auth.ok) return auth
  return ok({ keys, auth: auth.value })
}

/** `{user ID: {key: object}}`, the shape of signature uploads and of to-device messages. */
export function parseObjectMapBody(
  body: JsonObject,
  field = 'the body',
): Result<ReadonlyMap<UserId, ReadonlyMap<string, JsonObject>>, ServerError> {
  const out = new Map<UserId, ReadonlyMap<string, JsonObject>>()
  for (const [user, inner] of Object.entries(body)) {
    const userId = parseUserId(user)
    if (!userId.ok) return err(serverError('M_INVALID_PARAM', `${user} is not a user ID`))
    if (!isJsonObject(inner) || !Object.values(inner).every(isJsonObject)) {
      return err(badJson(`${field}: ${user} must map to objects`))
    }
    out.set(userId.value, new Map(Object.entries(inner) as [string, JsonObject][]))
  }
  return ok(out)
}

export function parseSendToDeviceBody(
  body: JsonObject,
): Result<ReadonlyMap<UserId, ReadonlyMap<string, JsonObject>>, ServerError> {
  const messages = body['messages']
  if (messages === undefined) return err(serverError('M_MISSING_PARAM', 'messages is required'))
  if (!isJsonObject(messages)) return err(badJson('messages must be an object'))
  return parseObjectMapBody(messages, 'messages')
}
