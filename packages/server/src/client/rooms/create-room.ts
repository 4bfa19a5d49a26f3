/**
 * `POST /_matrix/client/v3/createRoom` (client-server-api §Creation).
 */
import {
  err,
  isJsonObject,
  ok,
  parseUserId,
  type JsonObject,
  type JsonValue,
  type Result,
  type UserId,
} from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { badJson, serverError, type ServerError } from '../../http/errors.js'
import type {
  CreateRoomRequest,
  InitialStateEvent,
  RoomPreset,
} from '../../rooms/create-room-plan.js'
import { optionalObject, optionalString } from './params.js'
import type { RoomServices } from './room-services.js'

const PRESETS: readonly string[] = ['private_chat', 'trusted_private_chat', 'public_chat']

export const createRoomEndpoint = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/createRoom'),
  auth: 'required',
  body: parseCreateRoomBody,
  emptyBody: 'empty-object',
})

export const createRoomRoute = handle(
  createRoomEndpoint,
  async ({ body, requester }, { rooms }: RoomServices) => {
    const created = await rooms.createRoom(requester, body)
    return created.ok ? ok({ room_id: created.value }) : created
  },
)

export function parseCreateRoomBody(body: JsonObject): Result<CreateRoomRequest, ServerError> {
  const visibility = optionalString(body, 'visibility')
  if (!visibility.ok) return visibility
  if (
    visibility.value !== undefined &&
    visibility.value !== 'public' &&
    visibility.value !== 'private'
  ) {
    return err(badJson('visibility must be public or private'))
  }
  const preset = optionalString(body, 'preset')
  if (!preset.ok) return preset
  if (preset.value !== undefined && !PRESETS.includes(preset.value)) {
    return err(badJson(`preset must be one of ${PRESETS.join(', ')}`))
  }
  const strings: Record<string, string> = {}
  for (const key of ['room_alias_name', 'name', 'topic', 'room_version']) {
    const value = optionalString(body, key)
    if (!value.ok) return value
    if (value.value !== undefined) strings[key] = value.value
  }
  const creationContent = optionalObject(body, 'creation_content')
  if (!creationContent.ok) return creationContent
  const override = optionalObject(body, 'power_level_content_override')
  if (!override.ok) return override
  const isDirect = body['is_direct']
  if (isDirect !== undefined && typeof isDirect !== 'boolean') {
    return err(badJson('is_direct must be true or false'))
  }
  const invite = parseInvite(body['invite'])
  if (!invite.ok) return invite
  const invite3pid = body['invite_3pid']
  if (invite3pid !== undefined && !(Array.isArray(invite3pid) && invite3pid.length === 0)) {
    return err(
      serverError('M_UNKNOWN', 'Third-party invites are not supported by this server', {
        status: 400,
      }),
    )
  }
  const initialState = parseInitialState(body['initial_state'])
  if (!initialState.ok) return initialState

  const name = strings['name']
  const topic = strings['topic']
  const alias = strings['room_alias_name']
  const version = strings['room_version']
  return ok({
    visibility: visibility.value === 'public' ? 'public' : 'private',
    ...(alias === undefined ? {} : { roomAliasName: alias }),
    ...(name === undefined ? {} : { name }),
    ...(topic === undefined ? {} : { topic }),
    invite: invite.value,
    ...(version === undefined ? {} : { roomVersion: version }),
    ...(creationContent.value === undefined ? {} : { creationContent: creationContent.value }),
    initialState: initialState.value,
    ...(preset.value === undefined ? {} : { preset: preset.value as RoomPreset }),
    isDirect: isDirect === true,
    ...(override.value === undefined ? {} : { powerLevelContentOverride: override.value }),
  })
}

function parseInvite(value: JsonValue | undefined): Result<UserId[], ServerError> {
  if (value === undefined) return ok([])
  if (!Array.isArray(value)) return err(badJson('invite must be a list of user IDs'))
  const out: UserId[] = []
  for (const entry of value as readonly JsonValue[]) {
    if (typeof entry !== 'string') return err(badJson('invite must be a list of user IDs'))
    const user = parseUserId(entry)
    if (!user.ok) return user
    out.push(user.value)
  }
  return ok(out)
}

function parseInitialState(value: JsonValue | undefined): Result<InitialStateEvent[], ServerError> {
  if (value === undefined) return ok([])
  if (!Array.isArray(value)) return err(badJson('initial_state must be a list of state events'))
  const out: InitialStateEvent[] = []
  for (const [i, entry] of (value as readonly JsonValue[]).entries()) {
    if (!isJsonObject(entry)) return err(badJson(`initial_state[${i}] must be an object`))
    const type = entry['type']
    const stateKey = entry['state_key'] ?? ''
    const content = entry['content']
    if (typeof type !== 'string' || type === '') {
      return err(badJson(`initial_state[${i}].type must be a non-empty string`))
    }
    if (typeof stateKey !== 'string') {
      return err(badJson(`initial_state[${i}].state_key must be a string`))
    }
    if (!isJsonObject(content)) return err(badJson(`initial_state[${i}].content must be an object`))
    if (type === 'm.room.create') {
      return err(badJson('initial_state cannot hold the m.room.create event'))
    }
    out.push({ type, stateKey, content })
  }
  return ok(out)
}
