/**
 * Profiles (client-server-api §Profiles): reading any local user's profile, changing one's own,
 * and carrying a change into the `m.room.member` event of every room the user is joined to
 * (§Events on Change of Profile Information), through the event pipeline.
 *
 * Profiles of users on other servers are asked of their servers over federation, when the
 * composition root hands in `remote`; without it they are not found.
 */
import {
  err,
  ok,
  userIdServerName,
  type JsonValue,
  type Result,
  type RoomId,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import type { Requester } from '../http/authenticate.js'
import { forbidden, notFound, type ServerError } from '../http/errors.js'
import type { EventPipeline, Precheck } from '../rooms/event-pipeline.js'
import { membershipOf } from '../rooms/history-visibility.js'
import type { RemoteQueries } from '../federation/queries/remote-queries.js'
import type { Storage } from '../storage/interface.js'
import type { ProfileField, ProfileRecord } from '../storage/profile-store.js'

export interface ProfileServiceDeps {
  readonly storage: Storage
  readonly serverName: ServerName
  /** The room service's write path, for the member events a change sends. */
  readonly pipeline: Pick<EventPipeline, 'send'>
  /** Profiles of other servers' users; undefined when federation is off. */
  readonly remote?: Pick<RemoteQueries, 'profile'>
}

/** Where a room that a profile change could not reach is reported (a request's logger). */
export interface ProfileChangeLog {
  warn(details: object, message: string): void
}

/** A profile as `GET /profile/{userId}` answers it: unset fields are left out. */
export interface ProfileBody {
  readonly displayname?: string
  readonly avatar_url?: string
}

export class ProfileService {
  readonly #deps: ProfileServiceDeps

  constructor(deps: ProfileServiceDeps) {
    this.#deps = deps
  }

  async getProfile(target: UserId): Promise<Result<ProfileBody, ServerError>> {
    const { remote } = this.#deps
    if (!this.#isLocal(target) && remote !== undefined) return remote.profile(target)
    const profile = await this.#stored(target)
    return profile.ok ? ok(profileBody(profile.value)) : profile
  }

  /** One field as `{ field: value }`; M_NOT_FOUND when it is unset. */
  async getField(
    target: UserId,
    field: ProfileField,
  ): Promise<Result<Record<string, string>, ServerError>> {
    const { remote } = this.#deps
    if (!this.#isLocal(target) && remote !== undefined) {
      const profile = await remote.profile(target, field)
      if (!profile.ok) return profile
      const value = profile.value[field]
      return value === undefined
        ? err(notFound(`${target} has no ${field}`))
        : ok({ [field]: value })
    }
    const profile = await this.#stored(target)
    if (!profile.ok) return profile
    const value = profile.value[field === 'displayname' ? 'displayname' : 'avatarUrl']
    return value === undefined ? err(notFound(`${target} has no ${field}`)) : ok({ [field]: value })
  }

  /**
   * Sets (or, with undefined, clears) a field of the user's own profile, or of any local user's
   * for a server admin, then updates their member event in each room they are joined to. A room
   * that refuses the update is logged and skipped: the profile change stands.
   */
  async setField(
    requester: Requester,
    target: UserId,
    field: ProfileField,
    value: string | undefined,
    log: ProfileChangeLog,
  ): Promise<Result<void, ServerError>> {
    if (target !== requester.userId) {
      const admin = await this.#deps.storage.accounts.getUser(requester.userId)
      if (admin?.isAdmin !== true || !this.#isLocal(target)) {
        return err(forbidden(`You cannot change the profile of ${target}`))
      }
      const user = await this.#deps.storage.accounts.getUser(target)
      if (user === undefined) return err(notFound(`Unknown user ${target}`))
    }
    await this.#deps.storage.profiles.setField(target, field, value)
    // Even when the value did not change: a room an earlier change could not reach catches up,
    // and rooms already up to date send nothing.
    await this.#updateMemberEvents(target, log)
    return ok(undefined)
  }

  async #stored(target: UserId): Promise<Result<ProfileRecord, ServerError>> {
    if (!this.#isLocal(target)) {
      return err(
        notFound(
          `${target} is a user of another server, and asking it for profiles needs federation, ` +
            'which is not supported yet',
        ),
      )
    }
    const profile = await this.#deps.storage.profiles.getProfile(target)
    return profile === undefined ? err(notFound(`Unknown user ${target}`)) : ok(profile)
  }

  #isLocal(userId: UserId): boolean {
    return userIdServerName(userId) === this.#deps.serverName
  }

  /**
   * A new join event with the profile in every room the user is joined to. The profile is read
   * again under each room's write lock, so when two changes race, the last one stored is the one
   * each room ends with.
   */
  async #updateMemberEvents(userId: UserId, log: ProfileChangeLog): Promise<void> {
    const { storage, pipeline } = this.#deps
    const joined = await storage.rooms.roomsForUser(userId, ['join'])
    for (const { roomId } of joined) {
      try {
        const sent = await pipeline.send(
          roomId,
          { type: 'm.room.member', stateKey: userId, sender: userId, content: {} },
          { precheck: this.#memberUpdate(userId) },
        )
        if (!sent.ok) reportFailure(log, userId, roomId, sent.error)
      } catch (error) {
        reportFailure(log, userId, roomId, error)
      }
    }
  }

  #memberUpdate(userId: UserId): Precheck {
    return async (room) => {
      const current = await room.stateEvent('m.room.member', userId)
      if (current === undefined) return err(notFound(`${userId} has no membership in the room`))
      // Left since the list was read: nothing to update.
      if (membershipOf(current) !== 'join')
        return ok({ kind: 'unchanged', eventId: current.eventId })
      const profile = await this.#deps.storage.profiles.getProfile(userId)
      const content: Record<string, JsonValue> = { membership: 'join' }
      if (profile?.displayname !== undefined) content['displayname'] = profile.displayname
      if (profile?.avatarUrl !== undefined) content['avatar_url'] = profile.avatarUrl
      if (
        current.content['displayname'] === content['displayname'] &&
        current.content['avatar_url'] === content['avatar_url']
      ) {
        return ok({ kind: 'unchanged', eventId: current.eventId })
      }
      return ok({ kind: 'send', content })
    }
  }
}

function profileBody(profile: ProfileRecord): ProfileBody {
  return {
    ...(profile.displayname === undefined ? {} : { displayname: profile.displayname }),
    ...(profile.avatarUrl === undefined ? {} : { avatar_url: profile.avatarUrl }),
  }
}

function reportFailure(
  log: ProfileChangeLog,
  userId: UserId,
  roomId: RoomId,
  error: unknown,
): void {
  log.warn(
    { user_id: userId, room_id: roomId, err: error },
    'could not carry a profile change into a room',
  )
}
