import { X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { rootCertificates } from 'node:tls'
import { err, ok, type Result } from '@rhizome/core'
import type { FederationConfig } from '../../config/config.js'

/** The TLS options every federation connection is made with. */
export interface TlsTrust {
  /** Undefined: Node's default trust store, unchanged. */
  readonly ca: readonly string[] | undefined
  readonly rejectUnauthorized: boolean
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/**
 * The certificate authorities to trust: Node's bundled roots plus every certificate in the
 * configured `extra_ca_files`, read once here. Each file must hold at least one PEM certificate;
 * a file that cannot be read or parsed stops startup rather than quietly trusting less.
 */
export async function loadTlsTrust(
  config: Pick<FederationConfig, 'verifyTls' | 'extraCaFiles'>,
): Promise<Result<TlsTrust, string>> {
  if (config.extraCaFiles.length === 0) {
    return ok({ ca: undefined, rejectUnauthorized: config.verifyTls })
  }
  const extra: string[] = []
  for (const path of config.extraCaFiles) {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (e) {
      return err(`federation.extra_ca_files: cannot read ${path}: ${messageOf(e)}`)
    }
    const certificates = text.match(PEM_CERTIFICATE) ?? []
    if (certificates.length === 0) {
      return err(`federation.extra_ca_files: ${path} holds no PEM certificate`)
    }
    for (const pem of certificates) {
      try {
        new X509Certificate(pem)
      } catch (e) {
        return err(
          `federation.extra_ca_files: ${path} holds a certificate that does not parse: ${messageOf(e)}`,
        )
      }
      extra.push(pem)
    }
  }
  // Giving TLS a `ca` list replaces its default roots, so they are listed too.
  return ok({ ca: [...rootCertificates, ...extra], rejectUnauthorized: config.verifyTls })
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}
