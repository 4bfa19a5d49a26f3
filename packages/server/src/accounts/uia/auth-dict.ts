import { err, isJsonObject, ok, type JsonObject, type Result } from '@rhizome/core'
import { badJson, type ServerError } from '../../http/errors.js'

/** The `auth` member of a request that uses user-interactive authentication. */
export interface AuthDict {
  /** The stage attempted; undefined when the client only asks how far the session has got. */
  readonly type: string | undefined
  readonly session: string | undefined
  /** The whole dict, for the stage's own fields (`password`, `identifier`, `token`, ...). */
  readonly fields: JsonObject
}

/** Reads `auth` from a request body: undefined when absent or null, M_BAD_JSON when malformed. */
export function parseAuthDict(body: JsonObject): Result<AuthDict | undefined, ServerError> {
  const auth = body['auth']
  if (auth === undefined || auth === null) return ok(undefined)
  if (!isJsonObject(auth)) return err(badJson('auth must be an object'))
  const type = auth['type']
  const session = auth['session']
  if (type !== undefined && typeof type !== 'string')
    return err(badJson('auth.type must be a string'))
  if (session !== undefined && typeof session !== 'string') {
    return err(badJson('auth.session must be a string'))
  }
  return ok({ type, session, fields: auth })
}
