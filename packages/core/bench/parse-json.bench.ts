/** Parsing untrusted JSON with every check, beside the bare JSON.parse of the same text. */
import { parseJson } from '../src/json/parse-json.js'
import { sampleEvents } from '../src/testing/sample-events.js'
import { compare, meanUtf8Bytes, section } from './harness.js'

export function run(): void {
  const texts = sampleEvents(1000).map((event) => JSON.stringify(event))
  const n = texts.length
  const at = (i: number) => texts[i % n] ?? ''
  const bytes = meanUtf8Bytes(texts)
  section('parseJson', `${n} event texts, mean ${Math.round(bytes)} bytes`)
  compare(
    'parseJson (strict)',
    (i) => parseJson(at(i), { strict: true }),
    (i) => JSON.parse(at(i)) as unknown,
    { bytesPerOp: bytes },
  )
  compare(
    'parseJson (lenient)',
    (i) => parseJson(at(i)),
    (i) => JSON.parse(at(i)) as unknown,
    { bytesPerOp: bytes },
  )
}
