import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestPki {
  /** A directory holding `ca.pem`, for configuration that takes a path. */
  readonly dir: string
  readonly caPath: string
  readonly caPem: string
  /** A server certificate signed by the CA, for the given names and addresses. */
  readonly cert: string
  readonly key: string
  readonly remove: () => void
}

/**
 * A throwaway certificate authority and a leaf certificate it signed, made with the `openssl`
 * command for this test run only (P-256, valid for two days). `dnsNames` and `ipAddresses` become
 * the leaf's subjectAltName.
 */
export function makeTestPki(dnsNames: readonly string[], ipAddresses: readonly string[]): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'rhizome-pki-'))
  const file = (name: string): string => join(dir, name)
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'pipe' })
  }
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=Rhizome test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  )
  openssl(
    'req',
    ...ec,
    '-keyout',
    file('leaf.key'),
    '-out',
    file('leaf.csr'),
    '-subj',
    `/CN=${dnsNames[0] ?? 'leaf'}`,
  )
  const altNames = [...dnsNames.map((n) => `DNS:${n}`), ...ipAddresses.map((a) => `IP:${a}`)]
  writeFileSync(
    file('leaf.ext'),
    `subjectAltName=${altNames.join(',')}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
  )
  openssl(
    'x509',
    '-req',
    '-in',
    file('leaf.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('leaf.pem'),
    '-days',
    '2',
    '-extfile',
    file('leaf.ext'),
  )
  return {
    dir,
    caPath: file('ca.pem'),
    caPem: readFileSync(file('ca.pem'), 'utf8'),
    cert: readFileSync(file('leaf.pem'), 'utf8'),
    key: readFileSync(file('leaf.key'), 'utf8'),
    remove: () => {
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
