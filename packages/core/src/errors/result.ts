import type { MatrixError } from './matrix-error.js'

/** The outcome of an operation that can fail for expected reasons (bad input, a rule that says no). */
export type Result<T, E = MatrixError> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E }

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value }
}

export function err<E = MatrixError>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error }
}
