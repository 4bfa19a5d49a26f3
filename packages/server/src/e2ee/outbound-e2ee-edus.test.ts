import type { JsonObject, ServerName, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import {
  deviceListUpdates,
  directToDeviceEdus,
  signingKeyUpdate,
  toDeviceMessageId,
} from './outbound-e2ee-edus.js'

const ALICE = '@alice:here.test' as UserId
const keys: JsonObject = { user_id: ALICE, device_id: 'A1', keys: { 'ed25519:A1': 'k' } }

describe('m.device_list_update', () => {
  it('chains each update to the one before it, the first to the last one sent', () => {
    const edus = deviceListUpdates(
      ALICE,
      [
        { deviceId: 'A1', deleted: false, keys, displayName: 'phone' },
        { deviceId: 'A2', deleted: true },
        { deviceId: 'A3', deleted: false, keys, displayName: undefined },
      ],
      { previous: 6, ids: [7, 8, 9] },
    )
    expect(edus).toEqual([
      {
        edu_type: 'm.device_list_update',
        content: {
          user_id: ALICE,
          device_id: 'A1',
          stream_id: 7,
          prev_id: [6],
          keys,
          device_display_name: 'phone',
        },
      },
      {
        edu_type: 'm.device_list_update',
        content: { user_id: ALICE, device_id: 'A2', stream_id: 8, prev_id: [7], deleted: true },
      },
      {
        edu_type: 'm.device_list_update',
        content: { user_id: ALICE, device_id: 'A3', stream_id: 9, prev_id: [8], keys },
      },
    ])
  })

  it('has an empty prev_id for the first update of a user', () => {
    const [edu] = deviceListUpdates(ALICE, [{ deviceId: 'A1', deleted: true }], {
      previous: undefined,
      ids: [1],
    })
    expect(edu?.content['prev_id']).toEqual([])
  })

  it('refuses fewer stream IDs than changes, a bug of the caller', () => {
    expect(() =>
      deviceListUpdates(ALICE, [{ deviceId: 'A1', deleted: true }], { previous: 1, ids: [] }),
    ).toThrow()
  })
})

describe('m.signing_key_update', () => {
  it('carries the keys there are', () => {
    expect(signingKeyUpdate(ALICE, { usage: ['master'] }, undefined)).toEqual({
      edu_type: 'm.signing_key_update',
      content: { user_id: ALICE, master_key: { usage: ['master'] } },
    })
  })
})

describe('m.direct_to_device', () => {
  it('makes one EDU per other server, with the messages of its users only', () => {
    const bob = '@bob:b.test' as UserId
    const carol = '@carol:b.test' as UserId
    const dan = '@dan:c.test' as UserId
    const local = '@eve:here.test' as UserId
    const edus = directToDeviceEdus(
      'here.test' as ServerName,
      ALICE,
      'm.room.encrypted',
      'mid',
      new Map([
        [bob, new Map([['B1', { n: 1 }]])],
        [carol, new Map([['*', { n: 2 }]])],
        [
          dan,
          new Map([
            ['D1', { n: 3 }],
            ['D2', { n: 4 }],
          ]),
        ],
        [local, new Map([['E1', { n: 5 }]])],
      ]),
    )
    expect([...edus.keys()]).toEqual(['b.test', 'c.test'])
    expect(edus.get('b.test' as ServerName)).toEqual({
      edu_type: 'm.direct_to_device',
      content: {
        sender: ALICE,
        type: 'm.room.encrypted',
        message_id: 'mid',
        messages: { [bob]: { B1: { n: 1 } }, [carol]: { '*': { n: 2 } } },
      },
    })
    expect(edus.get('c.test' as ServerName)?.content['messages']).toEqual({
      [dan]: { D1: { n: 3 }, D2: { n: 4 } },
    })
  })

  it('gives a retried transaction the same message ID, and others another', () => {
    const id = toDeviceMessageId(ALICE, 'A1', 'txn1')
    expect(toDeviceMessageId(ALICE, 'A1', 'txn1')).toBe(id)
    expect(toDeviceMessageId(ALICE, 'A1', 'txn2')).not.toBe(id)
    expect(toDeviceMessageId(ALICE, 'A2', 'txn1')).not.toBe(id)
    expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/)
  })
})
