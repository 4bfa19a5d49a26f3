import v8 from 'node:v8'

/**
 * V8 doubles the young generation each time a scavenge finds most of it still alive. Starting up
 * (loading every module, compiling, opening the database) is one long run of allocations that
 * live on, so V8 grows the young generation to its 16 MB maximum and keeps it: an idle server
 * would hold some 8 MB of empty young-generation pages. Holding its growth until startup is over
 * leaves it at its initial size; serving traffic lets it grow again as the load asks.
 */
const HELD = 1
/** V8's own default. */
const DEFAULT = 2

export function holdYoungGeneration(): void {
  v8.setFlagsFromString(`--semi-space-growth-factor=${HELD}`)
}

export function releaseYoungGeneration(): void {
  v8.setFlagsFromString(`--semi-space-growth-factor=${DEFAULT}`)
}
