/** A sentence for an error from the SDK or the network, for showing to people. */
export function errorText(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { data, message, name } = error as { data?: unknown; message?: unknown; name?: unknown }
    if (typeof data === 'object' && data !== null) {
      const serverError = (data as Record<string, unknown>)['error']
      if (typeof serverError === 'string' && serverError !== '') return serverError
    }
    if (name === 'ConnectionError') return 'The homeserver could not be reached.'
    if (typeof message === 'string' && message !== '') return message
  }
  return String(error)
}
