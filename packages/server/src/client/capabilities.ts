/**
 * `GET /_matrix/client/v3/capabilities` (and r0): what this server lets the user do
 * (client-server-api §Capabilities negotiation). Each capability says what is really built: one
 * whose endpoint this build does not serve is advertised as disabled.
 */
import { DEFAULT_ROOM_VERSION, ok, ROOM_VERSIONS } from '@rhizome/core'
import type { HttpMethod } from '../http/endpoint.js'
import { clientV3Paths, defineEndpoint, handle } from '../http/endpoint.js'

/** Whether this build serves `method path` (app/routes.ts `serves`). */
export type Serves = (method: HttpMethod, path: string) => boolean

const V3 = '/_matrix/client/v3'

export function capabilities(serves: Serves): object {
  const enabled = (method: HttpMethod, path: string): { enabled: boolean } => ({
    enabled: serves(method, path),
  })
  const displayname = serves('PUT', `${V3}/profile/:userId/displayname`)
  const avatarUrl = serves('PUT', `${V3}/profile/:userId/avatar_url`)
  const anyField = serves('PUT', `${V3}/profile/:userId/:keyName`)
  const fields = [...(displayname ? ['displayname'] : []), ...(avatarUrl ? ['avatar_url'] : [])]
  return {
    'm.room_versions': {
      default: DEFAULT_ROOM_VERSION,
      available: Object.fromEntries([...ROOM_VERSIONS.keys()].map((v) => [v, 'stable'])),
    },
    'm.change_password': enabled('POST', `${V3}/account/password`),
    'm.set_displayname': { enabled: displayname || anyField },
    'm.set_avatar_url': { enabled: avatarUrl || anyField },
    'm.profile_fields': anyField
      ? { enabled: true }
      : fields.length > 0
        ? { enabled: true, allowed: fields }
        : { enabled: false },
    'm.3pid_changes': enabled('POST', `${V3}/account/3pid/add`),
    'm.get_login_token': enabled('POST', '/_matrix/client/v1/login/get_token'),
    // Leaving a room does not forget it here.
    'm.forget_forced_upon_leave': { enabled: false },
  }
}

export const getCapabilities = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/capabilities'),
  auth: 'required',
})

export const capabilitiesRoute = handle(getCapabilities, async () => {
  // Imported when first asked: the route table imports this module, so a static import would
  // make a cycle.
  const { serves } = await import('../app/routes.js')
  return ok({ capabilities: capabilities(serves) })
})
