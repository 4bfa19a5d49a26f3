/**
 * `GET /_synapse/admin/v1/register`: a nonce, and `POST /_synapse/admin/v1/register`: creates an
 * account with the shared secret's MAC. Synapse's admin API, so that its tools work unchanged;
 * the failure statuses are Synapse's (400 when disabled or for an unknown nonce, 403 for a wrong
 * MAC).
 */
import { err, ok, type JsonObject, type Result } from '@rhizome/core'
import type { AccountService } from '../accounts/account-service.js'
import type { Config } from '../config/config.js'
import { defineEndpoint, handle } from '../http/endpoint.js'
import { badJson, serverError, type ServerError } from '../http/errors.js'
import { SharedSecretRegistration, type SharedSecretRequest } from './shared-secret-registration.js'

export interface AdminRouteServices {
  readonly accounts: AccountService
  readonly config: Config
}

const PATHS = ['/_synapse/admin/v1/register']
/** Synapse's bounds; NUL is the MAC's separator, so it cannot occur inside a field. */
const MAX_FIELD_LENGTH = 512

function registrar({ accounts, config }: AdminRouteServices): SharedSecretRegistration {
  return new SharedSecretRegistration(config.registration.sharedSecret, accounts)
}

export const getAdminRegisterNonce = defineEndpoint({
  method: 'GET',
  paths: PATHS,
  auth: 'none',
  rateLimit: 'registration',
})

export const getAdminRegisterNonceRoute = handle(
  getAdminRegisterNonce,
  async (_input, services: AdminRouteServices) => {
    const nonce = await registrar(services).createNonce()
    return nonce.ok ? ok({ nonce: nonce.value }) : nonce
  },
)

export const postAdminRegister = defineEndpoint({
  method: 'POST',
  paths: PATHS,
  auth: 'none',
  rateLimit: 'registration',
  body: parseSharedSecretBody,
})

export const postAdminRegisterRoute = handle(
  postAdminRegister,
  async ({ body, request }, services: AdminRouteServices) => {
    const registered = await registrar(services).register(body, { ip: request.ip })
    if (!registered.ok) return registered
    const { userId, session } = registered.value
    return ok({
      user_id: userId,
      home_server: services.accounts.serverName,
      ...(session === undefined
        ? {}
        : { access_token: session.accessToken, device_id: session.deviceId }),
    })
  },
)

export function parseSharedSecretBody(body: JsonObject): Result<SharedSecretRequest, ServerError> {
  const nonce = field(body, 'nonce')
  if (!nonce.ok) return nonce
  const username = field(body, 'username')
  if (!username.ok) return username
  const password = field(body, 'password')
  if (!password.ok) return password
  const mac = field(body, 'mac')
  if (!mac.ok) return mac
  const admin = body['admin'] ?? false
  if (typeof admin !== 'boolean') return err(badJson('admin must be a boolean'))
  const inhibitLogin = body['inhibit_login'] ?? false
  if (typeof inhibitLogin !== 'boolean') return err(badJson('inhibit_login must be a boolean'))
  const userType = body['user_type'] ?? null
  if (userType !== null) {
    return err(serverError('M_INVALID_PARAM', 'User types are not supported by this server'))
  }
  const displayname = body['displayname'] ?? null
  if (displayname !== null && typeof displayname !== 'string') {
    return err(badJson('displayname must be a string'))
  }
  return ok({
    nonce: nonce.value,
    username: username.value,
    password: password.value,
    mac: mac.value,
    admin,
    inhibitLogin,
    ...(displayname === null ? {} : { displayName: displayname }),
  })
}

function field(body: JsonObject, key: string): Result<string, ServerError> {
  const value = body[key]
  if (value === undefined || value === null) return err(badJson(`${key} must be specified`))
  if (typeof value !== 'string') return err(badJson(`${key} must be a string`))
  if (value.length > MAX_FIELD_LENGTH || value.includes('\0')) {
    return err(serverError('M_INVALID_PARAM', `Invalid ${key}`))
  }
  return ok(value)
}
