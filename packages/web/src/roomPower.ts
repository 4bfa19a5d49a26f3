/** The parts of m.room.power_levels that decide what a member may do. */
export interface PowerLevels {
  readonly users?: Readonly<Record<string, number>>
  readonly users_default?: number
  readonly events?: Readonly<Record<string, number>>
  readonly state_default?: number
  readonly invite?: number
  readonly kick?: number
  readonly ban?: number
}

/** A room's power: its power levels event, if any, and who created it. */
export interface RoomPower {
  readonly levels: PowerLevels | undefined
  readonly creators: readonly string[]
  /** From room version 12 on, creators outrank everyone and cannot be given a level. */
  readonly creatorsOutrank: boolean
}

export type ModerationAction = 'kick' | 'ban' | 'unban'

function level(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback
}

/** A user's power level; creators of version 12 rooms have infinite power. */
export function powerOf(power: RoomPower, userId: string): number {
  if (power.creatorsOutrank && power.creators.includes(userId)) return Infinity
  const { levels } = power
  // Without a power levels event the creator has 100 and everyone else the default 0.
  if (levels === undefined) return power.creators.includes(userId) ? 100 : 0
  return level(levels.users?.[userId], level(levels.users_default, 0))
}

function actionLevel(levels: PowerLevels | undefined, action: 'kick' | 'ban' | 'invite') {
  return level(levels?.[action], action === 'invite' ? 0 : 50)
}

/**
 * Whether `me` may kick, ban or unban `target`, following the membership auth rules: the
 * action's level, and a target ranked strictly below. Lifting a ban is a leave over a ban, so
 * it needs both the ban and the kick level.
 */
export function canModerate(
  power: RoomPower,
  me: string,
  target: string,
  action: ModerationAction,
): boolean {
  if (me === target) return false
  const mine = powerOf(power, me)
  if (powerOf(power, target) >= mine) return false
  const kick = mine >= actionLevel(power.levels, 'kick')
  const ban = mine >= actionLevel(power.levels, 'ban')
  if (action === 'kick') return kick
  if (action === 'ban') return ban
  return kick && ban
}

export function canInvite(power: RoomPower, me: string): boolean {
  return powerOf(power, me) >= actionLevel(power.levels, 'invite')
}

/** Whether `me` may send a state event of this type. */
export function canSendState(power: RoomPower, me: string, eventType: string): boolean {
  const { levels } = power
  // Without a power levels event, state_default is 0.
  const required =
    levels === undefined ? 0 : level(levels.events?.[eventType], level(levels.state_default, 50))
  return powerOf(power, me) >= required
}

/** The role the member list shows beside a name. */
export function powerLabel(power: RoomPower, userId: string): string | undefined {
  const mine = powerOf(power, userId)
  if (mine === Infinity) return 'Creator'
  if (mine >= 100) return 'Admin'
  if (mine >= 50) return 'Moderator'
  return undefined
}

/** Whether a room version gives its creators infinite power (version 12 and later). */
export function creatorsOutrank(roomVersion: string): boolean {
  return /^\d+$/.test(roomVersion) && Number(roomVersion) >= 12
}
