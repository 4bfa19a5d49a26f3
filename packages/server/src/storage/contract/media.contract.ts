import type { UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { MediaContent, MediaThumbnail } from '../media-store.js'
import { useStorages, type StorageHarness } from './harness.js'

const alice = '@alice:test' as UserId
const bob = '@bob:test' as UserId

const content: MediaContent = {
  contentType: 'image/png',
  filename: 'ünïcode “name”.png',
  size: 1234,
  sha256: 'a'.repeat(64),
  uploadedTs: 1_700_000_000_500,
  legacyAccessible: true,
}

export function mediaContract(harness: StorageHarness): void {
  describe('media', () => {
    const { open, reopen } = useStorages(harness)

    it('keeps uploaded media as it was given', async () => {
      const storage = await open()
      expect(await storage.media.get('nothing')).toBeUndefined()
      await storage.media.addUploaded({
        mediaId: 'm1',
        uploader: alice,
        createdTs: 1_700_000_000_000,
        content,
      })
      const bare: MediaContent = {
        ...content,
        contentType: undefined,
        filename: undefined,
        legacyAccessible: false,
      }
      await storage.media.addUploaded({ mediaId: 'm2', uploader: bob, createdTs: 5, content: bare })
      expect(await storage.media.get('m1')).toEqual({
        mediaId: 'm1',
        uploader: alice,
        createdTs: 1_700_000_000_000,
        unusedExpiresTs: undefined,
        content,
        quarantined: false,
      })
      expect((await storage.media.get('m2'))?.content).toEqual(bare)
      await expect(
        storage.media.addUploaded({ mediaId: 'm1', uploader: bob, createdTs: 6, content }),
      ).rejects.toThrow()
    })

    it('fills a reserved ID once, and not after it lapsed', async () => {
      const storage = await open()
      await storage.media.addPending({
        mediaId: 'p1',
        uploader: alice,
        createdTs: 100,
        unusedExpiresTs: 1_000,
      })
      await storage.media.addPending({
        mediaId: 'p2',
        uploader: alice,
        createdTs: 100,
        unusedExpiresTs: 500,
      })
      await storage.media.addPending({
        mediaId: 'p3',
        uploader: bob,
        createdTs: 100,
        unusedExpiresTs: 2_000,
      })
      const pending = await storage.media.get('p1')
      expect(pending?.content).toBeUndefined()
      expect(pending?.unusedExpiresTs).toBe(1_000)
      expect(await storage.media.pendingExpiries(alice, 200)).toEqual([500, 1_000])
      expect(await storage.media.pendingExpiries(alice, 600)).toEqual([1_000])

      expect(await storage.media.completeUpload('p1', content, 900)).toBe('stored')
      expect(await storage.media.completeUpload('p1', content, 901)).toBe('already_uploaded')
      expect(await storage.media.completeUpload('p2', content, 600)).toBe('not_found')
      expect(await storage.media.completeUpload('unknown', content, 1)).toBe('not_found')
      const stored = await storage.media.get('p1')
      expect(stored?.content).toEqual(content)
      expect(stored?.unusedExpiresTs).toBeUndefined()
      expect(await storage.media.pendingExpiries(alice, 200)).toEqual([500])

      expect(await storage.media.deleteLapsed(600)).toBe(1)
      expect(await storage.media.get('p2')).toBeUndefined()
      expect(await storage.media.get('p1')).toBeDefined()
      expect(await storage.media.get('p3')).toBeDefined()
    })

    it('lets only one of two racing uploads fill a reserved ID', async () => {
      const storage = await open()
      await storage.media.addPending({
        mediaId: 'race',
        uploader: alice,
        createdTs: 1,
        unusedExpiresTs: 10_000,
      })
      const outcomes = await Promise.all([
        storage.media.completeUpload('race', content, 2),
        storage.media.completeUpload('race', { ...content, sha256: 'b'.repeat(64) }, 2),
      ])
      expect([...outcomes].sort()).toEqual(['already_uploaded', 'stored'])
    })

    it('quarantines and caches thumbnails once per key', async () => {
      const storage = await open()
      await storage.media.addUploaded({ mediaId: 'img', uploader: alice, createdTs: 1, content })
      expect(await storage.media.setQuarantined('img', true)).toBe(true)
      expect((await storage.media.get('img'))?.quarantined).toBe(true)
      expect(await storage.media.setQuarantined('none', true)).toBe(false)

      const thumbnail: MediaThumbnail = {
        mediaId: 'img',
        width: 32,
        height: 32,
        method: 'crop',
        animated: false,
        contentType: 'image/png',
        size: 99,
        sha256: 'c'.repeat(64),
        createdTs: 7,
      }
      const key = {
        mediaId: 'img',
        width: 32,
        height: 32,
        method: 'crop',
        animated: false,
      } as const
      expect(await storage.media.getThumbnail(key)).toBeUndefined()
      await storage.media.addThumbnail(thumbnail)
      await storage.media.addThumbnail({ ...thumbnail, size: 1, sha256: 'd'.repeat(64) })
      expect(await storage.media.getThumbnail(key)).toEqual(thumbnail)
      expect(await storage.media.getThumbnail({ ...key, animated: true })).toBeUndefined()
      expect(await storage.media.getThumbnail({ ...key, method: 'scale' })).toBeUndefined()
    })

    it('keeps media across a restart', async () => {
      if (harness.reopen === undefined) return
      const storage = await open()
      await storage.media.addUploaded({ mediaId: 'kept', uploader: alice, createdTs: 1, content })
      const again = await reopen(storage)
      expect((await again.media.get('kept'))?.content).toEqual(content)
    })
  })
}
