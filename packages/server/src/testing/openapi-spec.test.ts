import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { expectMatchesSpec, specDir, specProblems } from './openapi-spec.js'

describe('specProblems', () => {
  it('accepts a body that matches the schema', () => {
    const body = { versions: ['v1.1'], unstable_features: { 'org.example': true } }
    expect(
      specProblems('client-server', 'versions.yaml', 'GET', '/_matrix/client/versions', 200, body),
    ).toEqual([])
  })

  it('names each problem: a missing required key, a wrong type', () => {
    const problems = specProblems(
      'client-server',
      'versions.yaml',
      'GET',
      '/_matrix/client/versions',
      200,
      {
        unstable_features: { 'org.example': 'yes' },
      },
    )
    expect(problems.join('\n')).toContain("must have required property 'versions'")
    expect(problems.join('\n')).toContain('/unstable_features/org.example must be boolean')
  })

  it('follows $refs into other files (allOf of an error schema)', () => {
    const path = '/_matrix/client/v3/login'
    expect(
      specProblems('client-server', 'login.yaml', 'POST', path, 429, {
        errcode: 'M_LIMIT_EXCEEDED',
        error: 'slow',
        retry_after_ms: 5,
      }),
    ).toEqual([])
    expect(
      specProblems('client-server', 'login.yaml', 'POST', path, 429, {
        errcode: 'M_LIMIT_EXCEEDED',
        retry_after_ms: 'soon',
      }),
    ).not.toEqual([])
    expect(
      specProblems('client-server', 'login.yaml', 'POST', path, 429, { error: 'no code' }).join(),
    ).toContain('errcode')
  })

  it('follows a response that is itself a $ref into #/components/responses', () => {
    const path = '/_matrix/client/v1/media/download/{serverName}/{mediaId}'
    expect(
      specProblems('client-server', 'authed-content-repo.yaml', 'GET', path, 429, {
        errcode: 'M_LIMIT_EXCEEDED',
        error: 'x',
      }),
    ).toEqual([])
    expect(
      specProblems('client-server', 'authed-content-repo.yaml', 'GET', path, 429, { error: 'x' }),
    ).not.toEqual([])
  })

  it('checks Matrix string formats with the core parsers', () => {
    const path = '/_matrix/client/v3/account/whoami'
    expect(
      specProblems('client-server', 'whoami.yaml', 'GET', path, 200, {
        user_id: '@alice:example.org',
      }),
    ).toEqual([])
    expect(
      specProblems('client-server', 'whoami.yaml', 'GET', path, 200, { user_id: 'alice' }).join(),
    ).toContain('mx-user-id')
  })

  it("validates the spec's own example of a server-server response", () => {
    const example: unknown = JSON.parse(
      readFileSync(join(specDir(), 'data/api/server-server/examples/server_key.json'), 'utf8'),
    )
    expect(
      specProblems(
        'server-server',
        'keys_server.yaml',
        'GET',
        '/_matrix/key/v2/server',
        200,
        example,
      ),
    ).toEqual([])
  })

  it('trims the trailing space that some path keys carry', () => {
    const path = '/_matrix/client/v3/rooms/{roomId}/invite'
    expect(specProblems('client-server', 'inviting.yaml', 'POST', path, 200, {})).toEqual([])
  })

  it('throws for a path, method or status the file does not define', () => {
    expect(() =>
      specProblems('client-server', 'versions.yaml', 'GET', '/_matrix/client/v3/versions', 200, {}),
    ).toThrow(/has no path/)
    expect(() =>
      specProblems('client-server', 'versions.yaml', 'POST', '/_matrix/client/versions', 200, {}),
    ).toThrow(/has no POST/)
    expect(() =>
      specProblems('client-server', 'wellknown.yaml', 'GET', '/.well-known/matrix/client', 404, {}),
    ).toThrow(/no JSON body/)
  })
})

describe('expectMatchesSpec', () => {
  it('passes quietly for a matching body and throws a readable error otherwise', () => {
    expectMatchesSpec('client-server', 'versions.yaml', 'GET', '/_matrix/client/versions', 200, {
      versions: [],
    })
    expect(() => {
      expectMatchesSpec('client-server', 'versions.yaml', 'GET', '/_matrix/client/versions', 200, {
        versions: 'v1.1',
      })
    }).toThrow(/\/versions must be array/)
  })
})
