import type { ServerName } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { RemoteMedia } from '../media-store.js'
import { useStorages, type StorageHarness } from './harness.js'

const origin = 'remote.example:8448' as ServerName
const other = 'other.example' as ServerName

const copy: RemoteMedia = {
  origin,
  mediaId: 'abcDEF_123-x',
  contentType: 'image/png',
  filename: 'ünïcode “name”.png',
  size: 4321,
  sha256: 'b'.repeat(64),
  fetchedTs: 1_700_000_000_000,
}

export function remoteMediaContract(harness: StorageHarness): void {
  describe('remote media', () => {
    const { open, reopen } = useStorages(harness)

    it('keeps a copy under its server and media ID, across a restart', async () => {
      const storage = await open()
      expect(await storage.media.getRemote(origin, copy.mediaId)).toBeUndefined()
      await storage.media.addRemote(copy)
      const bare: RemoteMedia = {
        ...copy,
        origin: other,
        contentType: undefined,
        filename: undefined,
        sha256: 'c'.repeat(64),
      }
      await storage.media.addRemote(bare)
      const again = await reopen(storage)
      expect(await again.media.getRemote(origin, copy.mediaId)).toEqual(copy)
      expect(await again.media.getRemote(other, copy.mediaId)).toEqual(bare)
      // The same ID on this server is other media altogether.
      expect(await again.media.get(copy.mediaId)).toBeUndefined()
    })

    it('keeps the first copy when two are stored for one media ID', async () => {
      const storage = await open()
      await storage.media.addRemote(copy)
      await storage.media.addRemote({ ...copy, sha256: 'd'.repeat(64), size: 1 })
      expect(await storage.media.getRemote(origin, copy.mediaId)).toEqual(copy)
    })
  })
}
