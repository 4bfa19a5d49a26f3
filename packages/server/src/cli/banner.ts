import type { RunningHomeserver } from '../app/start-homeserver.js'

export interface BannerOptions {
  /** The command line that creates an account with this configuration. */
  readonly registerCommand: string
  /** Whether this build serves login, so that telling people how to sign in is true. */
  readonly loginAvailable: boolean
}

/** How the operator reaches the server, printed once it listens. */
export function startupBanner(server: RunningHomeserver, options: BannerOptions): string {
  const { registerCommand } = options
  const { config } = server
  const clientUrl = config.publicBaseurl ?? clientListenerUrl(server)
  const lines = [`Rhizome is running as ${config.serverName}.`]
  if (clientUrl !== undefined) lines.push(`  Client API:  ${clientUrl}`)
  for (const bound of server.listeners) {
    lines.push(`  Listening:   ${bound.url} (${bound.listener.resources.join(', ')})`)
  }
  lines.push(`  Federation:  ${config.federation.enabled ? 'on' : 'off'}`)
  lines.push(`  Data:        ${config.dataDir}`)
  if (config.registration.enabled && !config.registration.registrationTokenRequired) {
    lines.push(
      'Warning: registration is open: anyone who can reach this server can create an account.',
    )
  }
  if (options.loginAvailable) {
    const where = clientUrl ?? 'this server'
    lines.push(
      `To log in, point a Matrix client (such as Element) at ${where} and sign in there.`,
      `Create an account with: ${registerCommand} --user NAME --password PASSWORD` +
        (config.registration.enabled ? ', or register from the client.' : ''),
    )
  } else {
    lines.push(
      'Accounts are not built yet: login and registration answer M_UNRECOGNIZED in this build,',
      'so no client can sign in to it so far.',
    )
  }
  lines.push('Stop with Ctrl-C.')
  return lines.join('\n') + '\n'
}

/** The first listener that serves the client API, with a wildcard address shown as localhost. */
function clientListenerUrl(server: RunningHomeserver): string | undefined {
  const bound = server.listeners.find((b) => b.listener.resources.includes('client'))
  if (bound === undefined) return undefined
  const { bind } = bound.listener
  if (bind !== '0.0.0.0' && bind !== '::') return bound.url
  const scheme = bound.listener.tls === undefined ? 'http' : 'https'
  return `${scheme}://localhost:${bound.port}/`
}
