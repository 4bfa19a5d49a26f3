/**
 * Who may change a room's entries in this server's directories (its aliases, its visibility in the
 * published room directory). The spec leaves it to servers (client-server-api §Room aliases,
 * §Published room directory); as Synapse does, a server admin may, and so may a joined member
 * with the power to change the room's `m.room.canonical_alias`: the room's moderators.
 */
import {
  powerLevelsFromState,
  requiredPowerLevel,
  StateMap,
  userPowerLevel,
  type Pdu,
  type RoomId,
  type UserId,
} from '@rhizome/core'
import type { DirectoryDeps } from './directory-deps.js'

export async function isServerAdmin(deps: DirectoryDeps, userId: UserId): Promise<boolean> {
  return (await deps.storage.accounts.getUser(userId))?.isAdmin === true
}

export async function mayModerateDirectory(
  deps: DirectoryDeps,
  roomId: RoomId,
  userId: UserId,
): Promise<boolean> {
  if (await isServerAdmin(deps, userId)) return true
  const { storage } = deps
  const membership = await storage.rooms.getMembership(roomId, userId)
  if (membership?.membership !== 'join') return false
  const rules = await deps.pipeline.roomRules(roomId)
  if (rules === undefined) return false
  const events = await storage.rooms.getCurrentStateEvents(roomId, [
    'm.room.create',
    'm.room.power_levels',
  ])
  const state = new StateMap<Pdu>()
  for (const event of events) {
    if (event.pdu.stateKey === '') state.set(event.pdu.type, '', event.pdu)
  }
  const needed = requiredPowerLevel(
    powerLevelsFromState(state, rules),
    'm.room.canonical_alias',
    true,
  )
  return userPowerLevel(userId, state, rules) >= needed
}
