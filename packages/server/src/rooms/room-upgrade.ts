/**
 * `POST /rooms/{roomId}/upgrade` (client-server-api §Room Upgrades, server behaviour): check the
 * upgrader may send `m.room.tombstone`, create the replacement room from the old one's state
 * (room-upgrade-plan.ts), tombstone the old room, limit who may speak and invite there, and move
 * the local aliases, the canonical alias and the directory listing to the new room.
 *
 * Nobody is invited or joined to the new room but the upgrader: members follow the tombstone
 * themselves, as with Synapse. The steps after the tombstone only tidy up: one the old room's
 * power levels refuse (an upgrader who may tombstone but not change power levels) is skipped, as
 * Synapse skips it.
 */
import {
  err,
  ok,
  powerLevelsFromState,
  requiredPowerLevel,
  roomVersionRules,
  StateMap,
  userPowerLevel,
  type JsonValue,
  type Pdu,
  type Result,
  type RoomId,
  type RoomVersionRules,
  type UserId,
} from '@rhizome/core'
import type { Requester } from '../http/authenticate.js'
import { forbidden, serverError, type ServerError } from '../http/errors.js'
import type { EventTemplate } from './event-pipeline.js'
import { withProfile } from './membership.js'
import type { RoomContext } from './room-context.js'
import { planUpgrade, quietenedPowerLevels, UPGRADE_STATE_TYPES } from './room-upgrade-plan.js'

export interface UpgradeRequest {
  readonly newVersion: string
  /** Creators besides the upgrader, where the new version has them (v12+); ignored otherwise. */
  readonly additionalCreators: readonly UserId[]
}

const TOMBSTONE_BODY = 'This room has been replaced'

export async function upgradeRoom(
  ctx: RoomContext,
  requester: Requester,
  oldRoomId: RoomId,
  request: UpgradeRequest,
): Promise<Result<RoomId, ServerError>> {
  const rules = roomVersionRules(request.newVersion)
  if (rules === undefined) {
    return err(
      serverError(
        'M_UNSUPPORTED_ROOM_VERSION',
        `This server does not support room version ${request.newVersion}`,
      ),
    )
  }
  const upgrader = requester.userId
  const { storage } = ctx.deps
  const [oldRules, oldRoom] = await Promise.all([
    ctx.pipeline.roomRules(oldRoomId),
    storage.rooms.getRoom(oldRoomId),
  ])
  // An unknown room answers like one the user is not in, so that its existence does not leak.
  if (oldRules === undefined || oldRoom === undefined) {
    return err(forbidden(`You are not in room ${oldRoomId}`))
  }
  const state = (await storage.rooms.getCurrentStateEvents(oldRoomId, UPGRADE_STATE_TYPES))
    .map((stored) => stored.pdu)
    .filter((pdu): pdu is Pdu & { readonly stateKey: string } => pdu.stateKey !== undefined)
  const may = mayTombstone(state, upgrader, oldRules)
  if (!may.ok) return may

  const latest = await storage.events.roomTimeline(oldRoomId, { direction: 'b', limit: 1 })
  const plan = planUpgrade(
    {
      upgrader,
      oldRoomId,
      oldRules,
      state,
      lastEventId: latest.events[0]?.pdu.eventId,
    },
    rules,
    request.additionalCreators,
  )
  const created = await ctx.pipeline.createRoom({
    rules,
    creator: upgrader,
    createContent: plan.createContent,
    events: await withUpgraderProfile(ctx, upgrader, plan.events),
    isPublic: oldRoom.isPublic,
  })
  if (!created.ok) return created
  const newRoomId = created.value.roomId

  const tombstone = await ctx.pipeline.send(oldRoomId, {
    type: 'm.room.tombstone',
    stateKey: '',
    sender: upgrader,
    content: { body: TOMBSTONE_BODY, replacement_room: newRoomId },
  })
  if (!tombstone.ok) return tombstone

  const oldPowerLevels = state.find((e) => e.type === 'm.room.power_levels')
  const quietened =
    oldPowerLevels === undefined
      ? undefined
      : quietenedPowerLevels(oldPowerLevels.content, oldRules)
  if (quietened !== undefined) {
    await ctx.pipeline.send(oldRoomId, {
      type: 'm.room.power_levels',
      stateKey: '',
      sender: upgrader,
      content: quietened,
    })
  }
  await moveAliases(ctx, oldRoomId, newRoomId)
  const canonicalAlias = state.find((e) => e.type === 'm.room.canonical_alias')
  if (canonicalAlias !== undefined && Object.keys(canonicalAlias.content).length > 0) {
    // The new room has the event already (the plan copies it); the old one no longer owns it.
    await ctx.pipeline.send(oldRoomId, {
      type: 'm.room.canonical_alias',
      stateKey: '',
      sender: upgrader,
      content: {},
    })
  }
  if (oldRoom.isPublic) await storage.rooms.setDirectoryVisibility(oldRoomId, false)
  return ok(newRoomId)
}

/** Step 1: the upgrader must be joined with the power to send `m.room.tombstone`. */
function mayTombstone(
  state: readonly (Pdu & { readonly stateKey: string })[],
  upgrader: UserId,
  rules: RoomVersionRules,
): Result<void, ServerError> {
  const member = state.find((e) => e.type === 'm.room.member' && e.stateKey === upgrader)
  if (member?.content['membership'] !== 'join') {
    return err(forbidden('You must be in the room to upgrade it'))
  }
  const authState = new StateMap<Pdu>()
  for (const type of ['m.room.create', 'm.room.power_levels']) {
    const event = state.find((e) => e.type === type && e.stateKey === '')
    if (event !== undefined) authState.set(type, '', event)
  }
  const needed = requiredPowerLevel(
    powerLevelsFromState(authState, rules),
    'm.room.tombstone',
    true,
  )
  if (userPowerLevel(upgrader, authState, rules) < needed) {
    return err(forbidden('You do not have the power to upgrade this room'))
  }
  return ok(undefined)
}

/** Step 4: the room's local aliases now lead to the new room. */
async function moveAliases(ctx: RoomContext, from: RoomId, to: RoomId): Promise<void> {
  // One statement, so that no alias is ever briefly missing (or lost to a crash in between).
  await ctx.deps.storage.roomAliases.moveAliases(from, to)
}

async function withUpgraderProfile(
  ctx: RoomContext,
  upgrader: UserId,
  events: readonly EventTemplate[],
): Promise<EventTemplate[]> {
  return Promise.all(
    events.map(async (event) => {
      if (event.type !== 'm.room.member' || event.stateKey !== upgrader) return event
      const content: Record<string, JsonValue> = await withProfile(ctx, upgrader, event.content)
      return { ...event, content }
    }),
  )
}
