/**
 * FOR TESTS ONLY. What the HTTP test servers share: calling the server over fetch as a client
 * would, making the room service on the fixed test key, logging users in through the API, and
 * closing every server a test started once it is over.
 */
import { parseUserId, type UserId } from '@rhizome/core'
import { afterEach } from 'vitest'
import type { ProfileLookup } from '../rooms/room-context.js'
import { createRoomService, type RoomService } from '../rooms/room-service.js'
import type { Storage } from '../storage/interface.js'
import { storedTransactionIds } from '../sync/transaction-id-lookup.js'
import type { TestUser } from './fake-authenticate.js'
import { crypto, SERVER_NAME, SIGNING_KEY } from './room-kit.js'
import { useRoomStorage, type RoomTestStorage } from './room-storages.js'

export interface HttpReply {
  readonly status: number
  readonly body: unknown
}

export interface CallOptions {
  readonly user?: TestUser
  readonly body?: unknown
  /** Sent as it is, for malformed bodies; `body` wins when both are given. */
  readonly raw?: string
}

export type CallHttp = (method: string, path: string, options?: CallOptions) => Promise<HttpReply>

export interface RequestOptions {
  readonly token?: string
  readonly body?: unknown
  readonly raw?: string
  /** Labels a raw body as JSON too (by default fetch labels a string text/plain). */
  readonly rawAsJson?: boolean
}

/** One request to `baseUrl + path`, answered with its status and the body's text. */
export async function sendRequest(
  baseUrl: string,
  method: string,
  path: string,
  { token, body, raw, rawAsJson = false }: RequestOptions = {},
): Promise<{ readonly status: number; readonly text: string }> {
  const headers: Record<string, string> = {}
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`
  let payload: string | undefined = raw
  if (body !== undefined) payload = JSON.stringify(body)
  if (body !== undefined || (payload !== undefined && rawAsJson)) {
    headers['content-type'] = 'application/json'
  }
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(payload === undefined ? {} : { body: payload }),
  })
  return { status: response.status, text: await response.text() }
}

/** `call` against the server at `baseUrl`: an empty reply body is undefined, any other is JSON. */
export function httpCaller(
  baseUrl: string,
  defaults: { readonly rawAsJson?: boolean } = {},
): CallHttp {
  return async (method, path, { user, body, raw } = {}) => {
    const reply = await sendRequest(baseUrl, method, path, {
      ...defaults,
      ...(user === undefined ? {} : { token: user.accessToken }),
      ...(body === undefined ? {} : { body }),
      ...(raw === undefined ? {} : { raw }),
    })
    return {
      status: reply.status,
      body: reply.text === '' ? undefined : (JSON.parse(reply.text) as unknown),
    }
  }
}

export interface LoginCredentials {
  readonly userId: UserId
  readonly accessToken: string
  readonly deviceId: string
}

/** The login a successful `/register` or `/login` reply carries; throws naming `what` if none. */
export function loginCredentials(reply: HttpReply, what: string): LoginCredentials {
  const body = (reply.body ?? {}) as {
    user_id?: unknown
    access_token?: unknown
    device_id?: unknown
  }
  const { user_id: userId, access_token: accessToken, device_id: deviceId } = body
  if (
    reply.status !== 200 ||
    typeof userId !== 'string' ||
    typeof accessToken !== 'string' ||
    typeof deviceId !== 'string'
  ) {
    throw new Error(`${what} failed: ${reply.status} ${JSON.stringify(reply.body)}`)
  }
  const parsed = parseUserId(userId)
  if (!parsed.ok) throw new Error(`${what}: bad user_id ${userId}`)
  return { userId: parsed.value, accessToken, deviceId }
}

/** The body of a `/login` request for `user` with `password`. */
export function passwordLoginBody(
  user: string,
  password: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password, ...extra }
}

/**
 * Registers through the dummy UIA flow: the first request opens the session, the second
 * completes it. `first` sees the opening reply, for callers that check it.
 */
export async function registerWithDummyAuth(
  post: (body: Record<string, unknown>) => Promise<HttpReply>,
  body: Record<string, unknown>,
  first: (reply: HttpReply) => void = () => undefined,
): Promise<HttpReply> {
  const opened = await post(body)
  first(opened)
  const session = (opened.body as { session?: unknown } | undefined)?.session
  return post({ ...body, auth: { type: 'm.login.dummy', session } })
}

/** The room service on the fixed test server name and key, as the test servers wire it. */
export function testRoomService(
  storage: Storage,
  options: { readonly now?: () => number; readonly profile?: ProfileLookup } = {},
): RoomService {
  return createRoomService({
    storage,
    serverName: SERVER_NAME,
    signingKey: SIGNING_KEY,
    crypto,
    now: options.now ?? Date.now,
    transactionIds: storedTransactionIds(storage),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
  })
}

/**
 * `start` on a fresh storage of `kind` for each call; the servers close after the test, before
 * their storage (this hook is registered after the storage's, so it runs first).
 */
export function useTestServers<T extends { close(): Promise<void> }, O>(
  kind: RoomTestStorage,
  start: (storage: Storage, options?: O) => Promise<T>,
): (options?: O) => Promise<T> {
  const open = useRoomStorage(kind)
  const servers: T[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()))
  })
  return async (options) => {
    const server = await start(await open(), options)
    servers.push(server)
    return server
  }
}
