// Writes a Brotli (.br) and a gzip (.gz) copy beside each text and WebAssembly file of the build,
// so that the homeserver sends the compressed bytes to browsers that accept them, without
// compressing on every request.
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import process from 'node:process'
import { fileURLToPath, URL } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

const DIST = fileURLToPath(new URL('../dist/', import.meta.url))
const COMPRESSIBLE = /\.(js|css|html|svg|json|wasm)$/

async function* files(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* files(path)
    else if (COMPRESSIBLE.test(entry.name)) yield path
  }
}

let raw = 0
let brotli = 0
for await (const path of files(DIST)) {
  const bytes = await readFile(path)
  const br = brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 10,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  })
  await writeFile(`${path}.br`, br)
  await writeFile(`${path}.gz`, gzipSync(bytes, { level: 9 }))
  raw += bytes.length
  brotli += br.length
}
process.stdout.write(
  `compressed the build: ${(raw / 1024).toFixed(0)} kB, ${(brotli / 1024).toFixed(0)} kB with Brotli\n`,
)
