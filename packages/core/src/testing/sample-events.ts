/**
 * Realistic event JSON for benchmarks and property tests: the mix a busy room sends over federation
 * (messages, replies, edits, membership and the odd power-levels change), 500-1000 bytes each, with
 * IDs, hashes and signatures of the right shape. Deterministic for a given seed, so figures can be
 * compared between runs. The hashes and signatures are random strings, not real ones.
 */
import type { JsonObject } from '../json/json.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const WORDS = [
  'the',
  'server',
  'room',
  'message',
  'federation',
  'hello',
  'again',
  'tomorrow',
  'meeting',
  'café',
  'naïve',
  'résumé',
  '日本語',
  'emoji',
  '🎉',
  'ok',
  'thanks',
  'please',
  'review',
  'merge',
  'deploy',
  'matrix',
  'state',
  'resolution',
  'event',
  'signature',
  'with',
  'and',
  'from',
  'lunch',
  'Zürich',
]

/** A small seeded PRNG (mulberry32): fast and good enough to vary sample data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function sampleEvents(count: number, seed = 1): JsonObject[] {
  const random = seededRandom(seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
  const token = (length: number): string => {
    let out = ''
    for (let i = 0; i < length; i++) out += ALPHABET.charAt(Math.floor(random() * 64))
    return out
  }
  const sentence = (words: number): string => {
    const parts: string[] = []
    for (let i = 0; i < words; i++) parts.push(pick(WORDS))
    return parts.join(' ')
  }
  const eventId = (): string => '$' + token(43)
  const servers = ['example.org', 'matrix.example.com', 'chat.example.net', 'hs.example.io']
  const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'].map(
    (name, i) => `@${name}:${servers[i % servers.length]}`,
  )
  const roomId = '!' + token(18) + ':example.org'

  const events: JsonObject[] = []
  for (let n = 0; n < count; n++) {
    const sender = pick(users)
    const origin = sender.slice(sender.indexOf(':') + 1)
    const kind = random()
    let type = 'm.room.message'
    let stateKey: string | undefined
    let content: JsonObject
    if (kind < 0.6) {
      const body = sentence(8 + Math.floor(random() * 40))
      content = { body, msgtype: 'm.text' }
      if (random() < 0.3) {
        content = {
          ...content,
          format: 'org.matrix.custom.html',
          formatted_body: `<p>${body}</p>`,
        }
      }
    } else if (kind < 0.75) {
      content = {
        body: `> <${pick(users)}> ${sentence(6)}\n\n${sentence(12)}`,
        msgtype: 'm.text',
        'm.relates_to': { 'm.in_reply_to': { event_id: eventId() } },
      }
    } else if (kind < 0.85) {
      const body = sentence(15)
      content = {
        body: `* ${body}`,
        msgtype: 'm.text',
        'm.new_content': { body, msgtype: 'm.text' },
        'm.relates_to': { event_id: eventId(), rel_type: 'm.replace' },
      }
    } else if (kind < 0.97) {
      type = 'm.room.member'
      stateKey = sender
      content = {
        avatar_url: `mxc://${origin}/${token(24)}`,
        displayname: sender.slice(1, sender.indexOf(':')) + ' ' + pick(WORDS),
        membership: pick(['join', 'join', 'leave', 'invite']),
      }
    } else {
      type = 'm.room.power_levels'
      stateKey = ''
      const usersMap: Record<string, number> = {}
      for (const user of users) usersMap[user] = pick([0, 50, 100])
      content = {
        ban: 50,
        events: { 'm.room.name': 50, 'm.room.power_levels': 100, 'm.room.history_visibility': 100 },
        events_default: 0,
        invite: 0,
        kick: 50,
        redact: 50,
        state_default: 50,
        users: usersMap,
        users_default: 0,
      }
    }
    const prevCount = random() < 0.9 ? 1 : 2
    const prevEvents: string[] = []
    for (let i = 0; i < prevCount; i++) prevEvents.push(eventId())
    const event: Record<string, unknown> = {
      auth_events: [eventId(), eventId(), eventId()],
      content,
      depth: 1000 + n,
      hashes: { sha256: token(43) },
      origin,
      origin_server_ts: 1_700_000_000_000 + n * 1234,
      prev_events: prevEvents,
      room_id: roomId,
      sender,
      signatures: { [origin]: { ['ed25519:a_' + token(4)]: token(86) } },
      type,
      unsigned: { age_ts: 1_700_000_000_000 + n * 1234 },
    }
    if (stateKey !== undefined) event['state_key'] = stateKey
    events.push(event as JsonObject)
  }
  return events
}
