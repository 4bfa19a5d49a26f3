import { randomBytes } from 'node:crypto'
import { err, ok, parseServerName, type Result, type ServerName } from '@rhizome/core'
import { notFound, type ServerError } from '../http/errors.js'

/**
 * Only these characters may appear in a media ID (client-server-api §Security considerations of
 * the content repository), so no ID can climb out of a directory or smuggle an encoding.
 */
const MEDIA_ID = /^[A-Za-z0-9_-]{1,255}$/

/** 24 characters of URL-safe base64: 144 random bits, within the allowed alphabet. */
export function newMediaId(): string {
  return randomBytes(18).toString('base64url')
}

/** A media ID path parameter; anything outside the alphabet names no media (404). */
export function mediaIdParam(raw: string): Result<string, ServerError> {
  return MEDIA_ID.test(raw) ? ok(raw) : err(notFound('No such media'))
}

/** The server name of an `mxc://` URI; one that is not a valid server name names no media. */
export function mediaServerParam(raw: string): Result<ServerName, ServerError> {
  const parsed = parseServerName(raw)
  return parsed.ok ? ok(parsed.value) : err(notFound('No such media'))
}

export function mxcUri(serverName: ServerName, mediaId: string): string {
  return `mxc://${serverName}/${mediaId}`
}
