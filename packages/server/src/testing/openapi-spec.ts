/**
 * Checks response bodies against the Matrix spec's OpenAPI files (shared/spec/data/api), so that
 * every endpoint's tests can say "this is what the spec says the response looks like":
 *
 *     expectMatchesSpec('client-server', 'versions.yaml', 'GET', '/_matrix/client/versions', 200, body)
 *
 * The path is the full spec path with its `{parameters}`, as the spec's section headings write it.
 * Schemas are compiled with Ajv's JSON Schema 2020-12 build; `$ref`s are resolved relative to the
 * file that holds them, loading each referenced file once. Matrix string formats are checked with
 * the core's parsers, so a malformed user ID in a response fails too.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import {
  decodeBase64,
  parseEventId,
  parseRoomAlias,
  parseRoomId,
  parseServerName,
  parseUserId,
} from '@rhizome/core'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { parse as parseYaml } from 'yaml'

export type SpecApi =
  'client-server' | 'server-server' | 'application-service' | 'push-gateway' | 'identity'

export type SpecMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD'

/**
 * The spec's root directory (the one holding data/api): $RHIZOME_SPEC_DIR, or `shared/spec`
 * beside the repository or one of the directories above it.
 */
export function specDir(): string {
  const fromEnv = process.env['RHIZOME_SPEC_DIR']
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv)
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'shared', 'spec')
    if (existsSync(join(candidate, 'data', 'api'))) return candidate
    const parent = dirname(dir)
    if (parent === dir) {
      throw new Error(
        'Matrix spec not found: set RHIZOME_SPEC_DIR to the directory holding data/api',
      )
    }
    dir = parent
  }
}

/** The problems with `body` as the response `status` of `method path`; empty when it conforms. */
export function specProblems(
  api: SpecApi,
  file: string,
  method: SpecMethod,
  path: string,
  status: number,
  body: unknown,
): string[] {
  const validate = responseValidator(api, file, method, path, status)
  if (validate(body)) return []
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath === '' ? '(body)' : e.instancePath} ${e.message ?? 'is invalid'}`,
  )
}

/** Throws (failing the test) with every problem when `body` does not match the spec. */
export function expectMatchesSpec(
  api: SpecApi,
  file: string,
  method: SpecMethod,
  path: string,
  status: number,
  body: unknown,
): void {
  const problems = specProblems(api, file, method, path, status, body)
  if (problems.length > 0) {
    throw new Error(
      `${method} ${path} ${status} does not match ${api}/${file}:\n  ${problems.join('\n  ')}\n` +
        `body: ${JSON.stringify(body)}`,
    )
  }
}

const validators = new Map<string, ValidateFunction>()
/** Parsed files by URL, each registered with Ajv once. */
const loaded = new Map<string, object>()
let ajv: Ajv2020 | undefined

function responseValidator(
  api: SpecApi,
  file: string,
  method: SpecMethod,
  path: string,
  status: number,
): ValidateFunction {
  const id = `${api}/${file} ${method} ${path} ${status}`
  const cached = validators.get(id)
  if (cached !== undefined) return cached
  const instance = getAjv()
  const url = pathToFileURL(join(specDir(), 'data', 'api', api, file)).href
  const doc = loadFile(instance, url)
  const pathKey = findPathKey(doc, path, `${api}/${file}`)
  const operation = child(child(doc, 'paths'), pathKey)
  if (child(operation, method.toLowerCase()) === undefined) {
    throw new Error(`${api}/${file} has no ${method} ${path}`)
  }
  // The response may itself be a $ref (to #/components/responses/... or to another file).
  const responsePointer = `/paths/${escape(pathKey)}/${method.toLowerCase()}/responses/${status}`
  const [responseUrl, response] = follow(instance, url, responsePointer)
  const schema = child(child(child(response, 'content'), 'application/json'), 'schema')
  if (schema === undefined) {
    throw new Error(`${api}/${file} defines no JSON body for ${method} ${path} ${status}`)
  }
  const validate = instance.compile({ $ref: `${responseUrl}/content/application~1json/schema` })
  validators.set(id, validate)
  return validate
}

function getAjv(): Ajv2020 {
  if (ajv !== undefined) return ajv
  // strict: false, because the spec's schemas carry OpenAPI keywords (example, x-*) that are no
  // JSON Schema keywords. validateSchema: false, because whole OpenAPI documents are registered
  // so that $refs can point anywhere inside them.
  const instance = new Ajv2020({
    strict: false,
    allErrors: true,
    validateSchema: false,
    // Inlining a schema from another file would resolve its relative $refs against this one.
    inlineRefs: false,
  })
  const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020
  addFormats(instance)
  const parses = (parse: (raw: string) => { ok: boolean }) => (raw: string) => parse(raw).ok
  instance.addFormat('mx-user-id', parses(parseUserId))
  instance.addFormat('mx-room-id', parses(parseRoomId))
  instance.addFormat(
    'mx-event-id',
    parses((raw) => parseEventId(raw)),
  )
  instance.addFormat('mx-room-alias', parses(parseRoomAlias))
  instance.addFormat('mx-server-name', parses(parseServerName))
  instance.addFormat('mx-mxc-uri', /^mxc:\/\/[^/]+\/[A-Za-z0-9_-]+$/)
  instance.addFormat(
    'mx-unpadded-base64',
    (raw: string) => !raw.endsWith('=') && decodeBase64(raw).ok,
  )
  instance.addFormat('mx-urlsafe-unpadded-base64', /^[A-Za-z0-9_-]*$/)
  instance.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) })
  instance.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  })
  instance.addFormat('float', { type: 'number', validate: (n: number) => Number.isFinite(n) })
  ajv = instance
  return instance
}

/** Parses and registers the YAML or JSON file at `url`, and every file its $refs name. */
function loadFile(instance: Ajv2020, url: string): unknown {
  const existing = loaded.get(url)
  if (existing !== undefined) return existing
  const doc: unknown = parseYaml(readFileSync(fileURLToPath(url), 'utf8'))
  if (typeof doc !== 'object' || doc === null) throw new Error(`${url} holds no schema`)
  // Ajv resolves the relative $refs of a whole referenced file against that file only when the
  // file names itself with $id; the spec's files do not, so each gets its own URL.
  if (!Object.hasOwn(doc, '$id')) Object.assign(doc, { $id: url })
  instance.addSchema(doc, url)
  loaded.set(url, doc)
  for (const ref of refsIn(doc)) {
    const target = new URL(ref, url)
    target.hash = ''
    if (target.href !== url && !loaded.has(target.href)) loadFile(instance, target.href)
  }
  return doc
}

/** Every $ref in a document, except inside examples (which are data, not schemas). */
function refsIn(root: unknown): string[] {
  const refs: string[] = []
  const stack: unknown[] = [root]
  while (stack.length > 0) {
    const node = stack.pop()
    if (typeof node !== 'object' || node === null) continue
    if (Array.isArray(node)) {
      stack.push(...(node as unknown[]))
      continue
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'example' || key === 'examples') continue
      if (key === '$ref' && typeof value === 'string') refs.push(value)
      else stack.push(value)
    }
  }
  return refs
}

/** The value at `pointer` in the file at `url`, following $refs; returns where it really is. */
function follow(instance: Ajv2020, url: string, pointer: string): [string, unknown] {
  let base = url
  let node = at(loadFile(instance, url), pointer)
  let where = `${url}#${pointer}`
  for (let hops = 0; hops < 10; hops++) {
    const ref = child(node, '$ref')
    if (typeof ref !== 'string') return [where, node]
    const target = new URL(ref, base)
    const fragment = decodeURIComponent(target.hash.slice(1))
    target.hash = ''
    base = target.href
    node = at(loadFile(instance, base), fragment)
    where = `${base}#${fragment}`
  }
  throw new Error(`$ref loop at ${where}`)
}

function at(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc
  let node = doc
  for (const part of pointer.slice(1).split('/')) {
    node = child(node, part.replaceAll('~1', '/').replaceAll('~0', '~'))
  }
  return node
}

function child(node: unknown, key: string): unknown {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined
  return Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined
}

/** The key of `paths` whose full path (base path + key, trailing spaces trimmed) is `path`. */
function findPathKey(doc: unknown, path: string, name: string): string {
  const servers = child(doc, 'servers')
  const first: unknown = Array.isArray(servers) ? servers[0] : undefined
  const base = defaultBasePath(first)
  const paths = child(doc, 'paths')
  const keys = typeof paths === 'object' && paths !== null ? Object.keys(paths) : []
  const key = keys.find((k) => base + k.trimEnd() === path)
  if (key === undefined) {
    const known = keys.map((k) => base + k.trimEnd()).join(', ')
    throw new Error(`${name} has no path ${path} (it has: ${known})`)
  }
  return key
}

function defaultBasePath(server: unknown): string {
  const value = child(child(child(server, 'variables'), 'basePath'), 'default')
  return typeof value === 'string' ? value : ''
}

function escape(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1')
}
