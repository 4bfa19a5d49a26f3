import {
  err,
  isJsonObject,
  ok,
  parseUserId,
  userIdLocalpart,
  userIdServerName,
  type JsonObject,
  type Result,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import { badJson, serverError, type ServerError } from '../http/errors.js'
import { asciiLowercase } from './usernames.js'

/**
 * Who a password login (or an m.login.password stage) names (client-server-api §Identifier
 * types): a Matrix user, or a third-party ID, which this server never has bound to an account.
 */
export type LoginIdentifier =
  { readonly kind: 'user'; readonly user: string } | { readonly kind: 'thirdparty' }

/**
 * Reads `identifier`, or the deprecated top-level `user` (and `medium`/`address`) that older
 * clients still send.
 */
export function parseLoginIdentifier(fields: JsonObject): Result<LoginIdentifier, ServerError> {
  const identifier = fields['identifier']
  if (identifier !== undefined) {
    if (!isJsonObject(identifier)) return err(badJson('identifier must be an object'))
    const type = identifier['type']
    if (typeof type !== 'string') return err(badJson('identifier.type must be a string'))
    switch (type) {
      case 'm.id.user': {
        const user = identifier['user']
        if (typeof user !== 'string') return err(badJson('identifier.user must be a string'))
        return ok({ kind: 'user', user })
      }
      case 'm.id.thirdparty':
      case 'm.id.phone':
        return ok({ kind: 'thirdparty' })
      default:
        return err(
          serverError('M_UNKNOWN', `Unknown identifier type ${JSON.stringify(type)}`, {
            status: 400,
          }),
        )
    }
  }
  const user = fields['user']
  if (user !== undefined) {
    if (typeof user !== 'string') return err(badJson('user must be a string'))
    return ok({ kind: 'user', user })
  }
  if (fields['medium'] !== undefined && fields['address'] !== undefined) {
    return ok({ kind: 'thirdparty' })
  }
  return err(serverError('M_MISSING_PARAM', 'An identifier is required'))
}

/**
 * The local user IDs that `user` (a full user ID or a localpart) may mean, most likely first.
 * Logins are case-insensitive, as with other servers: users registered as `alice` may type
 * `Alice`. Empty when it cannot be a user of this server.
 */
export function candidateUserIds(user: string, serverName: ServerName): readonly UserId[] {
  let localpart = user
  if (user.startsWith('@')) {
    const parsed = parseUserId(user)
    if (!parsed.ok || userIdServerName(parsed.value) !== serverName) return []
    localpart = userIdLocalpart(parsed.value)
  }
  const out: UserId[] = []
  for (const candidate of new Set([asciiLowercase(localpart), localpart])) {
    const id = parseUserId(`@${candidate}:${serverName}`)
    if (id.ok && candidate !== '') out.push(id.value)
  }
  return out
}
