import { err, ok } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { transactionOutcome } from './transaction-outcome.js'

const http = (status: number, body: unknown = null) =>
  err({ kind: 'http' as const, status, body: body as null, message: `status ${String(status)}` })

describe('transactionOutcome', () => {
  it('a 200 is delivered, with the PDUs the receiver could not process', () => {
    const outcome = transactionOutcome(
      ok({
        status: 200,
        body: {
          pdus: {
            '$good:example.org': {},
            '$bad:example.org': { error: 'You are not allowed to send a message to this room.' },
            '$odd:example.org': { error: 42 },
          },
        },
      }),
    )
    expect(outcome).toEqual({
      kind: 'delivered',
      pduFailures: [
        {
          eventId: '$bad:example.org',
          error: 'You are not allowed to send a message to this room.',
        },
        { eventId: '$odd:example.org', error: '42' },
      ],
    })
  })

  it('a 200 without per-PDU results, or with an unreadable body, is still delivered', () => {
    expect(transactionOutcome(ok({ status: 200, body: {} }))).toEqual({
      kind: 'delivered',
      pduFailures: [],
    })
    expect(transactionOutcome(ok({ status: 200, body: [1] }))).toMatchObject({
      kind: 'delivered',
    })
    expect(transactionOutcome(http(200))).toMatchObject({ kind: 'delivered' })
  })

  it('a 4xx refuses the transaction for good, except 408 and 429', () => {
    for (const status of [400, 401, 403, 404, 413]) {
      expect(transactionOutcome(http(status, { errcode: 'M_FORBIDDEN' }))).toMatchObject({
        kind: 'rejected',
        status,
      })
    }
    expect(transactionOutcome(http(408))).toMatchObject({ kind: 'retry' })
    expect(transactionOutcome(http(429, { errcode: 'M_LIMIT_EXCEEDED' }))).toEqual({
      kind: 'retry',
      message: 'status 429',
    })
    expect(
      transactionOutcome(http(429, { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 1500 })),
    ).toEqual({ kind: 'retry', message: 'status 429', retryAfterMs: 1500 })
  })

  it('a 5xx or no answer is retried; a refused request waits longest', () => {
    expect(transactionOutcome(http(500))).toMatchObject({ kind: 'retry' })
    expect(transactionOutcome(http(503))).toMatchObject({ kind: 'retry' })
    expect(transactionOutcome(err({ kind: 'unreachable', message: 'ECONNREFUSED' }))).toEqual({
      kind: 'retry',
      message: 'ECONNREFUSED',
    })
    expect(transactionOutcome(err({ kind: 'refused', message: 'private address' }))).toEqual({
      kind: 'retry',
      message: 'private address',
      longest: true,
    })
  })
})
