/**
 * The few Client-Server API calls the benchmarks make, over plain fetch so that client-side cost
 * stays small and the same against Rhizome and the bare baseline server.
 */
export interface Session {
  readonly baseUrl: string
  readonly accessToken: string
  readonly userId: string
}

async function call(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const json = (await response.json()) as Record<string, unknown>
  return { status: response.status, json }
}

async function expectOk(
  result: Promise<{ status: number; json: Record<string, unknown> }>,
  what: string,
): Promise<Record<string, unknown>> {
  const { status, json } = await result
  if (status !== 200) throw new Error(`${what}: HTTP ${status} ${JSON.stringify(json)}`)
  return json
}

/** Registers through the user-interactive m.login.dummy flow and returns a logged-in session. */
export async function register(baseUrl: string, username: string): Promise<Session> {
  const body = { username, password: `${username}-password-123` }
  const first = await call(baseUrl, 'POST', '/_matrix/client/v3/register', body)
  let json = first.json
  if (first.status === 401) {
    const session = json['session']
    json = await expectOk(
      call(baseUrl, 'POST', '/_matrix/client/v3/register', {
        ...body,
        auth: { type: 'm.login.dummy', session },
      }),
      'register',
    )
  } else if (first.status !== 200) {
    throw new Error(`register: HTTP ${first.status} ${JSON.stringify(json)}`)
  }
  return {
    baseUrl,
    accessToken: String(json['access_token']),
    userId: String(json['user_id']),
  }
}

export async function createRoom(
  session: Session,
  invite: readonly string[] = [],
): Promise<string> {
  const json = await expectOk(
    call(
      session.baseUrl,
      'POST',
      '/_matrix/client/v3/createRoom',
      { preset: 'private_chat', invite },
      session.accessToken,
    ),
    'createRoom',
  )
  return String(json['room_id'])
}

export async function join(session: Session, roomId: string): Promise<void> {
  await expectOk(
    call(
      session.baseUrl,
      'POST',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/join`,
      {},
      session.accessToken,
    ),
    'join',
  )
}

let txnCounter = 0

export async function send(session: Session, roomId: string, text: string): Promise<string> {
  const txnId = `bench-${process.pid}-${++txnCounter}`
  const json = await expectOk(
    call(
      session.baseUrl,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`,
      { msgtype: 'm.text', body: text },
      session.accessToken,
    ),
    'send',
  )
  return String(json['event_id'])
}

export async function sync(session: Session, since: string | undefined, timeoutMs: number) {
  const query = new URLSearchParams({ timeout: String(timeoutMs) })
  if (since !== undefined) query.set('since', since)
  const json = await expectOk(
    call(
      session.baseUrl,
      'GET',
      `/_matrix/client/v3/sync?${query.toString()}`,
      undefined,
      session.accessToken,
    ),
    'sync',
  )
  return { nextBatch: String(json['next_batch']), json }
}
