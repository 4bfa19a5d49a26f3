import { describe, expect, it } from 'vitest'
import {
  canInvite,
  canModerate,
  canSendState,
  creatorsOutrank,
  powerLabel,
  powerOf,
  type RoomPower,
} from './roomPower'

const levels = {
  users: { '@admin:x': 100, '@mod:x': 50, '@mod2:x': 50 },
  users_default: 0,
  kick: 50,
  ban: 75,
  invite: 0,
  state_default: 50,
  events: { 'm.room.name': 50, 'm.room.encryption': 100 },
}
const v11: RoomPower = { levels, creators: ['@admin:x'], creatorsOutrank: false }
const v12: RoomPower = {
  levels: { ...levels, users: { '@mod:x': 50 } },
  creators: ['@founder:x', '@cofounder:x'],
  creatorsOutrank: true,
}

describe('canModerate', () => {
  it('needs the action level and a target ranked below', () => {
    expect(canModerate(v11, '@admin:x', '@user:x', 'kick')).toBe(true)
    expect(canModerate(v11, '@admin:x', '@mod:x', 'ban')).toBe(true)
    expect(canModerate(v11, '@mod:x', '@user:x', 'kick')).toBe(true)
    expect(canModerate(v11, '@mod:x', '@user:x', 'ban')).toBe(false)
    expect(canModerate(v11, '@mod:x', '@mod2:x', 'kick')).toBe(false)
    expect(canModerate(v11, '@mod:x', '@admin:x', 'kick')).toBe(false)
    expect(canModerate(v11, '@user:x', '@other:x', 'kick')).toBe(false)
    expect(canModerate(v11, '@admin:x', '@admin:x', 'kick')).toBe(false)
  })

  it('lets users_default grant the power to everyone', () => {
    const open: RoomPower = { ...v11, levels: { ...levels, users_default: 50 } }
    expect(canModerate(open, '@user:x', '@other:x', 'kick')).toBe(false)
    expect(canModerate(open, '@admin:x', '@user:x', 'kick')).toBe(true)
    const lowKick: RoomPower = { ...v11, levels: { ...levels, users_default: 10, kick: 0 } }
    expect(canModerate(lowKick, '@user:x', '@other:x', 'kick')).toBe(false)
    expect(canModerate(lowKick, '@mod:x', '@other:x', 'kick')).toBe(true)
  })

  it('needs both the ban and the kick level to unban', () => {
    expect(canModerate(v11, '@mod:x', '@user:x', 'unban')).toBe(false)
    expect(canModerate(v11, '@admin:x', '@user:x', 'unban')).toBe(true)
    const highKick: RoomPower = { ...v11, levels: { ...levels, kick: 80, ban: 50 } }
    expect(canModerate(highKick, '@mod:x', '@user:x', 'unban')).toBe(false)
  })

  it('gives version 12 creators infinite power', () => {
    expect(powerOf(v12, '@founder:x')).toBe(Infinity)
    expect(canModerate(v12, '@founder:x', '@mod:x', 'ban')).toBe(true)
    expect(canModerate(v12, '@mod:x', '@founder:x', 'kick')).toBe(false)
    expect(canModerate(v12, '@founder:x', '@cofounder:x', 'kick')).toBe(false)
  })

  it('uses the defaults when the room has no power levels event', () => {
    const bare: RoomPower = { levels: undefined, creators: ['@admin:x'], creatorsOutrank: false }
    expect(canModerate(bare, '@admin:x', '@user:x', 'ban')).toBe(true)
    expect(canModerate(bare, '@user:x', '@admin:x', 'kick')).toBe(false)
    expect(canSendState(bare, '@user:x', 'm.room.name')).toBe(true)
  })
})

describe('canSendState and canInvite', () => {
  it('uses the per-event level, else state_default', () => {
    expect(canSendState(v11, '@mod:x', 'm.room.name')).toBe(true)
    expect(canSendState(v11, '@mod:x', 'm.room.topic')).toBe(true)
    expect(canSendState(v11, '@user:x', 'm.room.topic')).toBe(false)
    expect(canSendState(v11, '@mod:x', 'm.room.encryption')).toBe(false)
    expect(canSendState(v11, '@admin:x', 'm.room.encryption')).toBe(true)
    expect(canSendState(v12, '@founder:x', 'm.room.encryption')).toBe(true)
    expect(canInvite(v11, '@user:x')).toBe(true)
    expect(canInvite({ ...v11, levels: { ...levels, invite: 50 } }, '@user:x')).toBe(false)
  })
})

describe('powerLabel and creatorsOutrank', () => {
  it('names creators, admins and moderators', () => {
    expect(powerLabel(v11, '@admin:x')).toBe('Admin')
    expect(powerLabel(v11, '@mod:x')).toBe('Moderator')
    expect(powerLabel(v11, '@user:x')).toBeUndefined()
    expect(powerLabel(v12, '@founder:x')).toBe('Creator')
    expect(creatorsOutrank('12')).toBe(true)
    expect(creatorsOutrank('11')).toBe(false)
    expect(creatorsOutrank('org.example.custom')).toBe(false)
  })
})
