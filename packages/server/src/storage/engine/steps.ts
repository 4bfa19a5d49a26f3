import type { EngineOps } from './engine-ops.js'

/**
 * Storage logic written once for both dialects. A program is a generator that yields the
 * primitive operations it needs (EngineOps) and receives their results. SQLite runs it
 * synchronously inside a better-sqlite3 transaction (nothing else can interleave), PostgreSQL
 * runs it with awaits on the connection that holds the transaction. The logic never sees SQL.
 */
type OpName = keyof EngineOps
type OpArgs<K extends OpName> = Parameters<EngineOps[K]>
type OpResult<K extends OpName> = ReturnType<EngineOps[K]>

export type StepRequest = {
  readonly [K in OpName]: { readonly name: K; readonly args: OpArgs<K> }
}[OpName]

export type Steps<T> = Generator<StepRequest, T, unknown>

/** The same operations, answered asynchronously. */
export type AsyncEngineOps = {
  readonly [K in OpName]: (...args: OpArgs<K>) => Promise<OpResult<K>>
}

/** `const row = yield* step('findEvent', id)` */
export function* step<K extends OpName>(name: K, ...args: OpArgs<K>): Steps<OpResult<K>> {
  const request = { name, args } as StepRequest
  const result: unknown = yield request
  // The drivers answer each request with the result of the operation it names.
  return result as OpResult<K>
}

type AnyOp = (...args: readonly unknown[]) => unknown

function invoke(ops: object, request: StepRequest): unknown {
  const fn = (ops as Record<OpName, AnyOp>)[request.name]
  return fn.apply(ops, request.args)
}

export function runSync<T>(steps: Steps<T>, ops: EngineOps): T {
  let next = steps.next()
  while (next.done !== true) next = steps.next(invoke(ops, next.value))
  return next.value
}

export async function runAsync<T>(steps: Steps<T>, ops: AsyncEngineOps): Promise<T> {
  let next = steps.next()
  while (next.done !== true) next = steps.next(await invoke(ops, next.value))
  return next.value
}
