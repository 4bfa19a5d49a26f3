import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PushRulesService } from '../../push/push-rules-service.js'
import type { Storage } from '../../storage/interface.js'
import {
  openTestStorage,
  startAccountTestServer,
  type AccountTestServer,
  type Credentials,
  type HttpResult,
} from '../../testing/account-test-server.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { startTestServer, type TestServer } from '../../testing/test-server.js'
import { pushRulesRoutes } from './push-rules.js'

const V3 = '/_matrix/client/v3'
const SPEC_RULE = `${V3}/pushrules/global/{kind}/{ruleId}`

let accounts: AccountTestServer
let server: TestServer
let storage: Storage
let next = 0

beforeAll(async () => {
  accounts = await startAccountTestServer()
  storage = await openTestStorage()
  server = await startTestServer({
    routes: pushRulesRoutes,
    services: { pushRules: new PushRulesService(storage.accountData) },
    authenticate: accounts.accounts.authenticate,
  })
})

afterAll(async () => {
  await server.close()
  await accounts.close()
  await storage.close()
})

/** A fresh user per test, so tests do not see each other's rules. */
async function newUser(): Promise<Credentials> {
  next++
  return accounts.register(`user${next}`, 'pw')
}

async function call(
  user: Credentials,
  method: string,
  path: string,
  body?: unknown,
): Promise<HttpResult> {
  const headers: Record<string, string> = { authorization: `Bearer ${user.accessToken}` }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`${server.url}${V3}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

async function ruleIds(user: Credentials, kind: string): Promise<string[]> {
  const { body } = await call(user, 'GET', '/pushrules/global/')
  return (body[kind] as { rule_id: string }[]).map((r) => r.rule_id)
}

function expectError(result: HttpResult, status: number, errcode: string): void {
  expect(result.status, JSON.stringify(result.body)).toBe(status)
  expect(result.body['errcode']).toBe(errcode)
  expect(typeof result.body['error']).toBe('string')
}

describe('PUT /pushrules/global/{kind}/{ruleId}', () => {
  it('creates a content rule, enabled, that GET then answers (the spec example)', async () => {
    const user = await newUser()
    const put = await call(user, 'PUT', '/pushrules/global/content/nocake', {
      pattern: 'cake*lie',
      actions: ['notify'],
    })
    expect(put).toEqual({ status: 200, body: {} })
    expectMatchesSpec('client-server', 'pushrules.yaml', 'PUT', SPEC_RULE, 200, put.body)
    const rule = await call(user, 'GET', '/pushrules/global/content/nocake')
    expectMatchesSpec('client-server', 'pushrules.yaml', 'GET', SPEC_RULE, 200, rule.body)
    expect(rule.body).toEqual({
      rule_id: 'nocake',
      default: false,
      enabled: true,
      pattern: 'cake*lie',
      actions: ['notify'],
    })
    const all = await call(user, 'GET', '/pushrules/')
    expectMatchesSpec('client-server', 'pushrules.yaml', 'GET', `${V3}/pushrules/`, 200, all.body)
  })

  it('stores the ruleset, defaults included, as m.push_rules account data', async () => {
    const user = await newUser()
    await call(user, 'PUT', '/pushrules/global/override/mine', {
      conditions: [{ kind: 'event_match', key: 'type', pattern: 'org.example.*' }],
      actions: ['notify', { set_tweak: 'highlight' }],
    })
    const stored = await storage.accountData.get(user.userId, undefined, 'm.push_rules')
    const global = stored?.['global'] as Record<string, { rule_id: string }[]>
    expect(global['override']?.map((r) => r.rule_id)).toEqual([
      '.m.rule.master',
      'mine',
      '.m.rule.suppress_notices',
      '.m.rule.invite_for_me',
      '.m.rule.member_event',
      '.m.rule.is_user_mention',
      '.m.rule.is_room_mention',
      '.m.rule.tombstone',
      '.m.rule.reaction',
      '.m.rule.room.server_acl',
      '.m.rule.suppress_edits',
    ])
    expect(global['underride']?.map((r) => r.rule_id)).toContain(
      '.m.rule.encrypted_room_one_to_one',
    )
    const { body } = await call(user, 'GET', '/pushrules/')
    expect(body).toEqual(stored)
  })

  it('puts a new rule first among user rules, after the master rule', async () => {
    const user = await newUser()
    for (const id of ['a', 'b']) {
      await call(user, 'PUT', `/pushrules/global/override/${id}`, { actions: [] })
    }
    expect((await ruleIds(user, 'override')).slice(0, 4)).toEqual([
      '.m.rule.master',
      'b',
      'a',
      '.m.rule.suppress_notices',
    ])
    for (const id of ['x', 'y']) {
      await call(user, 'PUT', `/pushrules/global/underride/${id}`, { actions: ['notify'] })
    }
    expect((await ruleIds(user, 'underride')).slice(0, 3)).toEqual(['y', 'x', '.m.rule.call'])
  })

  it('places rules before and after user rules, and moves an existing rule', async () => {
    const user = await newUser()
    const put = (id: string, query = ''): Promise<HttpResult> =>
      call(user, 'PUT', `/pushrules/global/content/${id}${query}`, {
        pattern: id,
        actions: ['notify'],
      })
    await put('one')
    await put('two', '?after=one')
    await put('three', '?before=one')
    expect(await ruleIds(user, 'content')).toEqual(['three', 'one', 'two'])
    // before wins when both are given.
    await put('four', '?before=two&after=three')
    expect(await ruleIds(user, 'content')).toEqual(['three', 'one', 'four', 'two'])
    // Moving keeps the rule once.
    await put('three', '?after=two')
    expect(await ruleIds(user, 'content')).toEqual(['one', 'four', 'two', 'three'])
    // Replacing without placement keeps its place and its enabled flag.
    await call(user, 'PUT', '/pushrules/global/content/four/enabled', { enabled: false })
    await call(user, 'PUT', '/pushrules/global/content/four', {
      pattern: 'new',
      actions: [],
    })
    expect(await ruleIds(user, 'content')).toEqual(['one', 'four', 'two', 'three'])
    expect((await call(user, 'GET', '/pushrules/global/content/four')).body).toEqual({
      rule_id: 'four',
      default: false,
      enabled: false,
      pattern: 'new',
      actions: [],
    })
  })

  it('refuses placement relative to a missing rule, itself or a server-default rule', async () => {
    const user = await newUser()
    await call(user, 'PUT', '/pushrules/global/override/base', { actions: [] })
    const missing = await call(user, 'PUT', '/pushrules/global/override/new?before=nope', {
      actions: [],
    })
    expectError(missing, 400, 'M_UNKNOWN')
    expect(missing.body['error']).toBe('before/after rule not found: nope')
    expectMatchesSpec('client-server', 'pushrules.yaml', 'PUT', SPEC_RULE, 400, missing.body)
    expectError(
      await call(user, 'PUT', '/pushrules/global/override/new?after=.m.rule.master', {
        actions: [],
      }),
      400,
      'M_INVALID_PARAM',
    )
    expectError(
      await call(user, 'PUT', '/pushrules/global/override/base?after=base', { actions: [] }),
      400,
      'M_INVALID_PARAM',
    )
    expect(await ruleIds(user, 'override')).not.toContain('new')
  })

  it('makes room and sender rules named by their room and user', async () => {
    const user = await newUser()
    const room = '!abc:example.org'
    expect(
      (
        await call(user, 'PUT', `/pushrules/global/room/${encodeURIComponent(room)}`, {
          actions: [],
        })
      ).status,
    ).toBe(200)
    expect(
      (await call(user, 'GET', `/pushrules/global/room/${encodeURIComponent(room)}`)).body,
    ).toEqual({ rule_id: room, default: false, enabled: true, actions: [] })
    const sender = '@spam:example.org'
    expect(
      (
        await call(user, 'PUT', `/pushrules/global/sender/${encodeURIComponent(sender)}`, {
          actions: ['dont_notify'],
        })
      ).status,
    ).toBe(200)
    // The historical dont_notify is stripped: [] and ["dont_notify"] mean the same.
    expect(
      (await call(user, 'GET', `/pushrules/global/sender/${encodeURIComponent(sender)}/actions`))
        .body,
    ).toEqual({ actions: [] })
    expectError(
      await call(user, 'PUT', '/pushrules/global/room/not-a-room', { actions: [] }),
      400,
      'M_INVALID_PARAM',
    )
    expectError(
      await call(user, 'PUT', '/pushrules/global/sender/not-a-user', { actions: [] }),
      400,
      'M_INVALID_PARAM',
    )
  })

  it('keeps conditions it does not know (they never match) but checks known ones', async () => {
    const user = await newUser()
    const future = [{ kind: 'org.example.future', whatever: [1, 2] }]
    await call(user, 'PUT', '/pushrules/global/underride/future', {
      conditions: future,
      actions: ['notify'],
    })
    expect(
      (await call(user, 'GET', '/pushrules/global/underride/future')).body['conditions'],
    ).toEqual(future)
    for (const conditions of [
      [{ kind: 'event_match', key: 'type' }],
      [{ kind: 'event_property_is', key: 'content.x', value: { compound: true } }],
      [{ kind: 'room_member_count', is: 2 }],
      [{ kind: 'sender_notification_permission' }],
    ]) {
      expectError(
        await call(user, 'PUT', '/pushrules/global/override/bad', { conditions, actions: [] }),
        400,
        'M_INVALID_PARAM',
      )
    }
    for (const conditions of ['x', [1], [{ no: 'kind' }]]) {
      expectError(
        await call(user, 'PUT', '/pushrules/global/override/bad', { conditions, actions: [] }),
        400,
        'M_BAD_JSON',
      )
    }
    expect(await ruleIds(user, 'override')).not.toContain('bad')
  })

  it('refuses bad rule IDs, bodies and actions', async () => {
    const user = await newUser()
    const cases: [string, unknown, number, string][] = [
      ['/pushrules/global/override/.m.rule.mine', { actions: [] }, 400, 'M_INVALID_PARAM'],
      ['/pushrules/global/override/.m.rule.master', { actions: [] }, 400, 'M_INVALID_PARAM'],
      ['/pushrules/global/override/a%2Fb', { actions: [] }, 400, 'M_INVALID_PARAM'],
      ['/pushrules/global/override/a%5Cb', { actions: [] }, 400, 'M_INVALID_PARAM'],
      ['/pushrules/global/override/r', {}, 400, 'M_MISSING_PARAM'],
      ['/pushrules/global/override/r', { actions: 'notify' }, 400, 'M_BAD_JSON'],
      ['/pushrules/global/override/r', { actions: ['shout'] }, 400, 'M_INVALID_PARAM'],
      ['/pushrules/global/override/r', { actions: [7] }, 400, 'M_INVALID_PARAM'],
      ['/pushrules/global/override/r', { actions: [{ tweak: 1 }] }, 400, 'M_INVALID_PARAM'],
      ['/pushrules/global/content/r', { actions: [] }, 400, 'M_MISSING_PARAM'],
      ['/pushrules/global/content/r', { pattern: 3, actions: [] }, 400, 'M_BAD_JSON'],
      ['/pushrules/global/weird/r', { actions: [] }, 400, 'M_INVALID_PARAM'],
    ]
    for (const [path, body, status, errcode] of cases) {
      const result = await call(user, 'PUT', path, body)
      expectError(result, status, errcode)
    }
    const notJson = await fetch(`${server.url}${V3}/pushrules/global/override/r`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${user.accessToken}` },
      body: 'nope',
    })
    expect(notJson.status).toBe(400)
    expect(await ruleIds(user, 'override')).not.toContain('r')
    const noToken = await fetch(`${server.url}${V3}/pushrules/global/override/r`, {
      method: 'PUT',
      body: JSON.stringify({ actions: [] }),
    })
    expect(noToken.status).toBe(401)
  })
})

describe('DELETE /pushrules/global/{kind}/{ruleId}', () => {
  it('deletes a user rule; a missing one or a server-default one is 404', async () => {
    const user = await newUser()
    await call(user, 'PUT', '/pushrules/global/sender/%40x%3Aexample.org', { actions: [] })
    const deleted = await call(user, 'DELETE', '/pushrules/global/sender/%40x%3Aexample.org')
    expect(deleted).toEqual({ status: 200, body: {} })
    expectMatchesSpec('client-server', 'pushrules.yaml', 'DELETE', SPEC_RULE, 200, deleted.body)
    expect(await ruleIds(user, 'sender')).toEqual([])
    const again = await call(user, 'DELETE', '/pushrules/global/sender/%40x%3Aexample.org')
    expectError(again, 404, 'M_NOT_FOUND')
    expectMatchesSpec('client-server', 'pushrules.yaml', 'DELETE', SPEC_RULE, 404, again.body)
    expectError(
      await call(user, 'DELETE', '/pushrules/global/override/.m.rule.master'),
      404,
      'M_NOT_FOUND',
    )
    expect((await ruleIds(user, 'override'))[0]).toBe('.m.rule.master')
  })
})

describe('PUT .../enabled and .../actions', () => {
  it('enables the master rule and changes a default rule’s actions, and keeps them', async () => {
    const user = await newUser()
    const enabled = await call(user, 'PUT', '/pushrules/global/override/.m.rule.master/enabled', {
      enabled: true,
    })
    expect(enabled).toEqual({ status: 200, body: {} })
    expectMatchesSpec(
      'client-server',
      'pushrules.yaml',
      'PUT',
      `${SPEC_RULE}/enabled`,
      200,
      enabled.body,
    )
    const actions = await call(user, 'PUT', '/pushrules/global/underride/.m.rule.message/actions', {
      actions: ['notify', { set_tweak: 'sound', value: 'bing' }],
    })
    expect(actions).toEqual({ status: 200, body: {} })
    expectMatchesSpec(
      'client-server',
      'pushrules.yaml',
      'PUT',
      `${SPEC_RULE}/actions`,
      200,
      actions.body,
    )
    expect(
      (await call(user, 'GET', '/pushrules/global/override/.m.rule.master/enabled')).body,
    ).toEqual({
      enabled: true,
    })
    expect((await call(user, 'GET', '/pushrules/global/underride/.m.rule.message')).body).toEqual({
      rule_id: '.m.rule.message',
      default: true,
      enabled: true,
      conditions: [{ kind: 'event_match', key: 'type', pattern: 'm.room.message' }],
      actions: ['notify', { set_tweak: 'sound', value: 'bing' }],
    })
    // Another user is unaffected.
    const other = await newUser()
    expect(
      (await call(other, 'GET', '/pushrules/global/override/.m.rule.master/enabled')).body,
    ).toEqual({ enabled: false })
  })

  it('answers 404 for a missing rule and 400 for a bad body', async () => {
    const user = await newUser()
    const missing = await call(user, 'PUT', '/pushrules/global/override/nope/enabled', {
      enabled: true,
    })
    expectError(missing, 404, 'M_NOT_FOUND')
    expectMatchesSpec(
      'client-server',
      'pushrules.yaml',
      'PUT',
      `${SPEC_RULE}/enabled`,
      404,
      missing.body,
    )
    expectError(
      await call(user, 'PUT', '/pushrules/global/override/nope/actions', { actions: [] }),
      404,
      'M_NOT_FOUND',
    )
    expectError(
      await call(user, 'PUT', '/pushrules/global/override/.m.rule.master/enabled', {}),
      400,
      'M_MISSING_PARAM',
    )
    expectError(
      await call(user, 'PUT', '/pushrules/global/override/.m.rule.master/enabled', {
        enabled: 'yes',
      }),
      400,
      'M_BAD_JSON',
    )
    expectError(
      await call(user, 'PUT', '/pushrules/global/override/.m.rule.master/actions', {
        actions: ['bogus'],
      }),
      400,
      'M_INVALID_PARAM',
    )
    expectError(
      await call(user, 'PUT', '/pushrules/global/override/.m.rule.master/actions', {}),
      400,
      'M_MISSING_PARAM',
    )
  })

  it('loses no change when two are made at once', async () => {
    const user = await newUser()
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call(user, 'PUT', `/pushrules/global/content/word${i}`, {
          pattern: `word${i}`,
          actions: ['notify'],
        }),
      ),
    )
    expect((await ruleIds(user, 'content')).sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => `word${i}`),
    )
  })
})
