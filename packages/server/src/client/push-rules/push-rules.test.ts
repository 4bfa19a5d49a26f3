import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serves } from '../../app/routes.js'
import { defaultPushRules } from '../../push/default-push-rules.js'
import {
  startAccountTestServer,
  type AccountTestServer,
  type Credentials,
  type HttpResult,
} from '../../testing/account-test-server.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { startTestServer, type TestServer } from '../../testing/test-server.js'
import { openTestStorage } from '../../testing/account-test-server.js'
import { PushRulesService } from '../../push/push-rules-service.js'
import type { Storage } from '../../storage/interface.js'
import { pushRulesRoutes } from './push-rules.js'

const V3 = '/_matrix/client/v3'
const SPEC_RULE = `${V3}/pushrules/global/{kind}/{ruleId}`

// Accounts (and real access tokens) come from the account test server; the push rule routes run
// on a second server that authenticates with the same account service.
let accounts: AccountTestServer
let server: TestServer
let storage: Storage
let alice: Credentials

beforeAll(async () => {
  accounts = await startAccountTestServer()
  storage = await openTestStorage()
  server = await startTestServer({
    routes: pushRulesRoutes,
    services: { pushRules: new PushRulesService(storage.accountData) },
    authenticate: accounts.accounts.authenticate,
  })
  alice = await accounts.register('alice', 'pw')
})

afterAll(async () => {
  await server.close()
  await accounts.close()
  await storage.close()
})

async function call(
  method: string,
  path: string,
  /** `null`: no token (an explicit `undefined` would take the default). */
  token: string | null = alice.accessToken,
  body?: unknown,
): Promise<HttpResult> {
  const headers: Record<string, string> = {}
  if (token !== null) headers['authorization'] = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

describe('GET /pushrules/ and /pushrules/global/', () => {
  it('answers the predefined rules for the requester, as the spec describes them', async () => {
    const all = await call('GET', `${V3}/pushrules/`)
    expect(all.status).toBe(200)
    expectMatchesSpec('client-server', 'pushrules.yaml', 'GET', `${V3}/pushrules/`, 200, all.body)
    expect(all.body).toEqual({ global: defaultPushRules(alice.userId) })

    const global = await call('GET', `${V3}/pushrules/global/`)
    expect(global.status).toBe(200)
    expectMatchesSpec(
      'client-server',
      'pushrules.yaml',
      'GET',
      `${V3}/pushrules/global/`,
      200,
      global.body,
    )
    expect(global.body).toEqual(all.body['global'])
  })

  it('lists all five kinds, in the spec order within each, naming the requester', async () => {
    const bob = await accounts.register('bob', 'pw')
    const { body } = await call('GET', `${V3}/pushrules/global/`, bob.accessToken)
    expect(Object.keys(body).sort()).toEqual(['content', 'override', 'room', 'sender', 'underride'])
    const ids = (kind: string): unknown[] =>
      (body[kind] as { rule_id: string }[]).map((r) => r.rule_id)
    expect(ids('override')[0]).toBe('.m.rule.master')
    expect(ids('override')).toHaveLength(10)
    expect(ids('underride')).toEqual([
      '.m.rule.call',
      '.m.rule.encrypted_room_one_to_one',
      '.m.rule.room_one_to_one',
      '.m.rule.message',
      '.m.rule.encrypted',
    ])
    expect(body['content']).toEqual([])
    expect(JSON.stringify(body)).toContain(bob.userId)
    expect(JSON.stringify(body)).not.toContain(alice.userId)
  })

  it('serves the r0 paths and takes the token from the query', async () => {
    const r0 = await call(
      'GET',
      `/_matrix/client/r0/pushrules/?access_token=${encodeURIComponent(alice.accessToken)}`,
      null,
    )
    expect(r0).toEqual({ status: 200, body: { global: defaultPushRules(alice.userId) } })
  })
})

describe('GET /pushrules/global/{kind}/{ruleId}[/enabled|/actions]', () => {
  it('answers one rule, its enabled flag and its actions', async () => {
    const master = await call('GET', `${V3}/pushrules/global/override/.m.rule.master`)
    expect(master.status).toBe(200)
    expectMatchesSpec('client-server', 'pushrules.yaml', 'GET', SPEC_RULE, 200, master.body)
    expect(master.body).toEqual({
      rule_id: '.m.rule.master',
      default: true,
      enabled: false,
      conditions: [],
      actions: [],
    })

    const enabled = await call('GET', `${V3}/pushrules/global/override/.m.rule.master/enabled`)
    expectMatchesSpec(
      'client-server',
      'pushrules.yaml',
      'GET',
      `${SPEC_RULE}/enabled`,
      200,
      enabled.body,
    )
    expect(enabled).toEqual({ status: 200, body: { enabled: false } })
    const messageEnabled = await call(
      'GET',
      `${V3}/pushrules/global/underride/.m.rule.message/enabled`,
    )
    expect(messageEnabled).toEqual({ status: 200, body: { enabled: true } })

    const actions = await call('GET', `${V3}/pushrules/global/underride/.m.rule.message/actions`)
    expectMatchesSpec(
      'client-server',
      'pushrules.yaml',
      'GET',
      `${SPEC_RULE}/actions`,
      200,
      actions.body,
    )
    expect(actions).toEqual({ status: 200, body: { actions: ['notify'] } })
  })

  it('fills the requester into the rules that name the user', async () => {
    const invite = await call(
      'GET',
      `/_matrix/client/r0/pushrules/global/override/.m.rule.invite_for_me`,
    )
    expect(invite.status).toBe(200)
    expect(invite.body['conditions']).toContainEqual({
      kind: 'event_match',
      key: 'state_key',
      pattern: alice.userId,
    })
    const acl = await call('GET', `${V3}/pushrules/global/override/.m.rule.room.server_acl`)
    expect(acl.body['rule_id']).toBe('.m.rule.room.server_acl')
  })

  it('answers 404 M_NOT_FOUND for a rule that does not exist, or not under that kind', async () => {
    for (const [kind, ruleId] of [
      ['override', 'nocake'],
      ['underride', '.m.rule.master'],
      ['content', '.m.rule.contains_user_name'],
      ['room', '!room:example.org'],
      ['sender', '@alice:example.org'],
    ] as const) {
      const base = `${V3}/pushrules/global/${kind}/${encodeURIComponent(ruleId)}`
      for (const suffix of ['', '/enabled', '/actions']) {
        const result = await call('GET', `${base}${suffix}`)
        expect(result, `${kind} ${ruleId}${suffix}`).toEqual({
          status: 404,
          body: { errcode: 'M_NOT_FOUND', error: 'The push rule was not found.' },
        })
        expectMatchesSpec(
          'client-server',
          'pushrules.yaml',
          'GET',
          `${SPEC_RULE}${suffix}`,
          404,
          result.body,
        )
      }
    }
  })

  it('answers 400 M_INVALID_PARAM for an unknown kind', async () => {
    for (const kind of ['global', 'Override', 'toString', '%20']) {
      for (const suffix of ['', '/enabled', '/actions']) {
        const result = await call('GET', `${V3}/pushrules/global/${kind}/.m.rule.master${suffix}`)
        expect(result.status, `${kind}${suffix}`).toBe(400)
        expect(result.body['errcode']).toBe('M_INVALID_PARAM')
      }
    }
  })
})

describe('authentication', () => {
  it('answers 401 M_MISSING_TOKEN without a token and M_UNKNOWN_TOKEN for a bad one', async () => {
    for (const path of [
      `${V3}/pushrules/`,
      `${V3}/pushrules/global/`,
      `${V3}/pushrules/global/override/.m.rule.master`,
      `${V3}/pushrules/global/override/.m.rule.master/enabled`,
      `${V3}/pushrules/global/override/.m.rule.master/actions`,
    ]) {
      const missing = await call('GET', path, null)
      expect(missing.status, path).toBe(401)
      expect(missing.body['errcode']).toBe('M_MISSING_TOKEN')
      const unknown = await call('GET', path, 'rhz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')
      expect(unknown.status, path).toBe(401)
      expect(unknown.body['errcode']).toBe('M_UNKNOWN_TOKEN')
    }
  })
})

// Changing rules: push-rules-write.test.ts.

describe('wiring', () => {
  it('is served by the client listener, reading and changing rules', () => {
    for (const prefix of ['/_matrix/client/v3', '/_matrix/client/r0']) {
      expect(serves('GET', `${prefix}/pushrules/`)).toBe(true)
      expect(serves('GET', `${prefix}/pushrules/global/`)).toBe(true)
      for (const suffix of ['', '/enabled', '/actions']) {
        const path = `${prefix}/pushrules/global/:kind/:ruleId${suffix}`
        expect(serves('GET', path)).toBe(true)
        expect(serves('PUT', path)).toBe(true)
        expect(serves('DELETE', path)).toBe(suffix === '')
      }
    }
  })
})
