/** Canonical JSON encoding of realistic events, beside JSON.stringify of the same objects. */
import { canonicalJson } from '../src/json/canonical-json.js'
import { sampleEvents } from '../src/testing/sample-events.js'
import { compare, meanUtf8Bytes, section } from './harness.js'

export function run(): void {
  const events = sampleEvents(1000)
  const n = events.length
  const at = (i: number) => events[i % n] ?? {}
  const bytes = meanUtf8Bytes(events.map((event) => canonicalJson(event)))
  section('canonical JSON', `${n} events, mean ${Math.round(bytes)} bytes`)
  compare(
    'canonicalJson',
    (i) => canonicalJson(at(i)),
    (i) => JSON.stringify(at(i)),
    { bytesPerOp: bytes },
  )
}
