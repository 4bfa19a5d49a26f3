/**
 * The configuration `npm start` runs with (`rhizome start --dev`): a server for trying things
 * out on this machine. Its server name, localhost:8008, can never federate, so federation is off;
 * registration is open so that a client can create accounts at once, which the startup output
 * warns about.
 */
export const DEV_SERVER_NAME = 'localhost:8008'

export function devConfigData(): Readonly<Record<string, unknown>> {
  return {
    server_name: DEV_SERVER_NAME,
    public_baseurl: 'http://localhost:8008/',
    listeners: [{ bind: '127.0.0.1', port: 8008, resources: ['client', 'federation', 'media'] }],
    data_dir: './data',
    registration: { enabled: true },
    federation: { enabled: false },
    log: { level: 'info', format: 'pretty' },
  }
}
