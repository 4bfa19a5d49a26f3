/**
 * The rooms of a space that this server does not hold, asked of other servers for its clients'
 * `GET /hierarchy` (client-server-api §Discovering rooms within spaces, server behaviour): the
 * servers in the child event's `via` are asked in turn, at most three of them, until one gives a
 * well-formed answer.
 *
 * Answers are kept five minutes, as the spec asks (at most a thousand of them, the oldest
 * dropped first): a client paging through a space walks it again from its root for each page
 * (rooms/space-hierarchy-token.ts), and finds the same rooms in the same order only if the
 * answers stay the same. That no server answered is kept a minute, for the room and the servers
 * tried, so that pages do not wait on a server that is down each time. Concurrent walks share one
 * request.
 */
import { parseServerName, type RoomId, type ServerName } from '@rhizome/core'
import type {
  RemoteHierarchySource,
  RemoteSpaceHierarchy,
} from '../../rooms/space-hierarchy-remote.js'
import type { RemoteQueries } from './remote-queries.js'

export const HIERARCHY_ANSWER_MS = 5 * 60_000
export const HIERARCHY_NO_ANSWER_MS = 60_000
export const MAX_KEPT_HIERARCHIES = 1000
/** Servers asked about one room, at most: each may take a request's whole timeout. */
export const MAX_HIERARCHY_SERVERS = 3

export interface RemoteHierarchyDeps {
  readonly remote: Pick<RemoteQueries, 'hierarchy'>
  readonly serverName: ServerName
  readonly now: () => number
}

interface Kept {
  readonly expires: number
  readonly answer: RemoteSpaceHierarchy | undefined
}

export class RemoteHierarchyCache implements RemoteHierarchySource {
  readonly #deps: RemoteHierarchyDeps
  readonly #kept = new Map<string, Kept>()
  readonly #pending = new Map<string, Promise<RemoteSpaceHierarchy | undefined>>()

  constructor(deps: RemoteHierarchyDeps) {
    this.#deps = deps
  }

  isKnown(roomId: RoomId, via: readonly ServerName[], suggestedOnly: boolean): boolean {
    const key = answerKey(roomId, suggestedOnly)
    return (
      this.#fresh(key) !== undefined ||
      this.#fresh(noAnswerKey(key, this.#servers(via))) !== undefined
    )
  }

  get(
    roomId: RoomId,
    via: readonly ServerName[],
    suggestedOnly: boolean,
  ): Promise<RemoteSpaceHierarchy | undefined> {
    const key = answerKey(roomId, suggestedOnly)
    const kept = this.#fresh(key)
    if (kept !== undefined) return Promise.resolve(kept.answer)
    const servers = this.#servers(via)
    const failed = noAnswerKey(key, servers)
    if (this.#fresh(failed) !== undefined) return Promise.resolve(undefined)
    const pending = this.#pending.get(failed)
    if (pending !== undefined) return pending
    const asking = this.#ask(roomId, servers, suggestedOnly, key, failed).finally(() => {
      this.#pending.delete(failed)
    })
    this.#pending.set(failed, asking)
    return asking
  }

  async #ask(
    roomId: RoomId,
    servers: readonly ServerName[],
    suggestedOnly: boolean,
    key: string,
    failed: string,
  ): Promise<RemoteSpaceHierarchy | undefined> {
    for (const server of servers) {
      const answer = await this.#deps.remote.hierarchy(server, roomId, suggestedOnly)
      if (answer.ok) {
        this.#keep(key, answer.value, HIERARCHY_ANSWER_MS)
        return answer.value
      }
    }
    this.#keep(failed, undefined, HIERARCHY_NO_ANSWER_MS)
    return undefined
  }

  /** The servers to ask, in the order given: valid names, each once, never this server. */
  #servers(via: readonly ServerName[]): ServerName[] {
    const out: ServerName[] = []
    for (const name of via) {
      if (out.length === MAX_HIERARCHY_SERVERS) break
      const server = parseServerName(name)
      if (!server.ok || server.value === this.#deps.serverName) continue
      if (!out.includes(server.value)) out.push(server.value)
    }
    return out
  }

  #fresh(key: string): Kept | undefined {
    const kept = this.#kept.get(key)
    if (kept === undefined) return undefined
    if (kept.expires > this.#deps.now()) return kept
    this.#kept.delete(key)
    return undefined
  }

  #keep(key: string, answer: RemoteSpaceHierarchy | undefined, forMs: number): void {
    this.#kept.delete(key)
    this.#kept.set(key, { expires: this.#deps.now() + forMs, answer })
    for (const oldest of this.#kept.keys()) {
      if (this.#kept.size <= MAX_KEPT_HIERARCHIES) break
      this.#kept.delete(oldest)
    }
  }
}

function answerKey(roomId: RoomId, suggestedOnly: boolean): string {
  return `${suggestedOnly ? 's' : 'a'} ${roomId}`
}

function noAnswerKey(key: string, servers: readonly ServerName[]): string {
  return `${key} ${servers.join(' ')}`
}
