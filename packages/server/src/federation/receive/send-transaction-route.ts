/** `PUT /_matrix/federation/v1/send/{txnId}` (server-server-api §Transactions). */
import { err, ok, type Result } from '@rhizome/core'
import { defineEndpoint, handle } from '../../http/endpoint.js'
import { serverError, type ServerError } from '../../http/errors.js'
import { parseTransaction, receiveTransaction, type TransactionDeps } from './transaction.js'

export interface SendTransactionServices {
  readonly federationReceiver: TransactionDeps
}

/** Transaction IDs are opaque; a bound keeps them out of logs at any length. */
const MAX_TXN_ID_LENGTH = 255

function txnIdParam(raw: string): Result<string, ServerError> {
  return raw.length === 0 || raw.length > MAX_TXN_ID_LENGTH
    ? err(serverError('M_INVALID_PARAM', 'bad transaction ID'))
    : ok(raw)
}

const sendTransaction = defineEndpoint({
  method: 'PUT',
  paths: ['/_matrix/federation/v1/send/:txnId'],
  auth: 'federation',
  params: { txnId: txnIdParam },
  body: parseTransaction,
})

export const sendTransactionRoute = handle(
  sendTransaction,
  ({ origin, body }, { federationReceiver }: SendTransactionServices) =>
    receiveTransaction(federationReceiver, origin, body),
)
