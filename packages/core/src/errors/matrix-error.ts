/**
 * Error codes of the Matrix specification that the protocol core can produce. HTTP statuses are
 * the server's business: they are attached where errors leave the process, never here.
 */
export type ErrCode =
  | 'M_BAD_JSON'
  | 'M_NOT_JSON'
  | 'M_INVALID_PARAM'
  | 'M_TOO_LARGE'
  | 'M_FORBIDDEN'
  | 'M_NOT_FOUND'
  | 'M_MISSING_PARAM'
  | 'M_UNSUPPORTED_ROOM_VERSION'
  | 'M_INVALID_SIGNATURE'
  | 'M_UNKNOWN'

export interface MatrixError {
  readonly errcode: ErrCode
  readonly error: string
}

export function matrixError(errcode: ErrCode, error: string): MatrixError {
  return { errcode, error }
}

export const badJson = (error: string): MatrixError => matrixError('M_BAD_JSON', error)
export const invalidParam = (error: string): MatrixError => matrixError('M_INVALID_PARAM', error)
export const tooLarge = (error: string): MatrixError => matrixError('M_TOO_LARGE', error)
