import { createServer } from 'node:net'

/**
 * A TCP port that was free a moment ago on 127.0.0.1. The server under test keeps the same port
 * across restarts, so clients can keep their base URL while it is killed and started again.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      if (address === null || typeof address === 'string') {
        probe.close()
        reject(new Error('no TCP address for the probe socket'))
        return
      }
      probe.close(() => {
        resolve(address.port)
      })
    })
  })
}
