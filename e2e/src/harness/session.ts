import { MatrixError, type MatrixClient } from 'matrix-js-sdk'
import type { Backend } from './backends.js'
import { HomeserverProcess } from './homeserver.js'
import {
  clientFor,
  eventually,
  registerAccount,
  startSyncing,
  type Account,
} from './matrix-clients.js'

export interface SessionUser {
  readonly account: Account
  readonly client: MatrixClient
}

/** A homeserver on a fresh database of one backend, with users whose clients sync. */
export interface Session {
  readonly server: HomeserverProcess
  /** In the order the localparts were given. */
  readonly users: readonly SessionUser[]
  /** The user registered as `localpart`; throws if there is none. */
  user(localpart: string): SessionUser
  /** Stops the clients, then the server, then drops the database. */
  close(): Promise<void>
}

/**
 * Starts a homeserver on `backend`, registers each of `localparts` through the API and starts its
 * client syncing (one after another, or all at once with `parallelSync`).
 */
export async function startSession(
  backend: Backend,
  localparts: readonly string[],
  { parallelSync = false }: { readonly parallelSync?: boolean } = {},
): Promise<Session> {
  const db = await backend.open()
  const server = await HomeserverProcess.start(
    db.database === undefined ? {} : { database: db.database },
  )
  const accounts: Account[] = []
  for (const localpart of localparts)
    accounts.push(await registerAccount(server.baseUrl, localpart))
  const users = accounts.map((account) => ({ account, client: clientFor(server.baseUrl, account) }))
  if (parallelSync) {
    await Promise.all(users.map((user) => startSyncing(user.client)))
  } else {
    for (const user of users) await startSyncing(user.client)
  }
  return {
    server,
    users,
    user(localpart) {
      const found = users[localparts.indexOf(localpart)]
      if (found === undefined) throw new Error(`no user ${localpart} in this session`)
      return found
    },
    async close() {
      for (const user of users) user.client.stopClient()
      await server.destroy()
      await db.drop()
    },
  }
}

/**
 * Waits for an invite to `roomId` to reach `invitee`, who joins; with `inviter`, waits too until
 * the join reaches the inviter's client.
 */
export async function joinOnInvite(
  invitee: SessionUser,
  roomId: string,
  inviter?: MatrixClient,
): Promise<void> {
  await eventually(
    () => invitee.client.getRoom(roomId)?.getMyMembership() === 'invite',
    `the invite to reach ${invitee.account.userId}`,
  )
  await invitee.client.joinRoom(roomId)
  if (inviter === undefined) return
  await eventually(
    () => inviter.getRoom(roomId)?.getMember(invitee.account.userId)?.membership === 'join',
    `the join of ${invitee.account.userId} to reach the inviter`,
  )
}

/** The MatrixError `request` fails with; throws if it succeeds or fails otherwise. */
export async function matrixFailure(request: Promise<unknown>): Promise<MatrixError> {
  const error: unknown = await request.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  if (!(error instanceof MatrixError)) {
    throw new Error(`expected a MatrixError, got ${String(error)}`, { cause: error })
  }
  return error
}
