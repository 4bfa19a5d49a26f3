import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  canThumbnail,
  planThumbnail,
  type ImageInfo,
  type ThumbnailRequest,
} from './thumbnailer.js'

const still = (width: number, height: number): ImageInfo => ({ width, height, animated: false })
const ask = (
  width: number,
  height: number,
  method: 'crop' | 'scale',
  animated = false,
): ThumbnailRequest => ({ width, height, method, animated })

describe('planThumbnail', () => {
  it('makes the spec sizes from a large image', () => {
    expect(planThumbnail(still(4000, 3000), ask(32, 32, 'crop'))).toMatchObject({
      width: 32,
      height: 32,
      useOriginal: false,
    })
    expect(planThumbnail(still(4000, 3000), ask(96, 96, 'crop'))).toMatchObject({
      width: 96,
      height: 96,
    })
    expect(planThumbnail(still(4000, 3000), ask(320, 240, 'scale'))).toMatchObject({
      width: 320,
      height: 240,
    })
    expect(planThumbnail(still(4000, 2000), ask(640, 480, 'scale'))).toMatchObject({
      width: 640,
      height: 320,
    })
    expect(planThumbnail(still(1000, 4000), ask(800, 600, 'scale'))).toMatchObject({
      width: 150,
      height: 600,
    })
  })

  it('serves a smaller original as it is, and crops one without upscaling', () => {
    expect(planThumbnail(still(20, 10), ask(320, 240, 'scale'))).toMatchObject({
      width: 20,
      height: 10,
      useOriginal: true,
    })
    expect(planThumbnail(still(20, 40), ask(32, 32, 'crop'))).toMatchObject({
      width: 20,
      height: 20,
      useOriginal: false,
    })
    expect(planThumbnail(still(32, 32), ask(32, 32, 'crop'))).toMatchObject({ useOriginal: true })
  })

  it('keeps an animation only when asked, making a still otherwise', () => {
    const gif: ImageInfo = { width: 50, height: 50, animated: true }
    expect(planThumbnail(gif, ask(100, 100, 'scale', true))).toMatchObject({
      animated: true,
      useOriginal: true,
    })
    expect(planThumbnail(gif, ask(100, 100, 'scale', false))).toMatchObject({
      animated: false,
      useOriginal: false,
    })
    expect(planThumbnail(still(50, 50), ask(10, 10, 'crop', true))).toMatchObject({
      animated: false,
    })
  })

  it('never upscales, and scale keeps the aspect ratio', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.constantFrom<'crop' | 'scale'>('crop', 'scale'),
        (iw, ih, w, h, method) => {
          const plan = planThumbnail(still(iw, ih), ask(w, h, method))
          expect(plan.width).toBeGreaterThanOrEqual(1)
          expect(plan.height).toBeGreaterThanOrEqual(1)
          expect(plan.width).toBeLessThanOrEqual(Math.max(iw, 1))
          expect(plan.height).toBeLessThanOrEqual(Math.max(ih, 1))
          if (method === 'scale' && plan.width > 2 && plan.height > 2) {
            expect(Math.abs(plan.width / plan.height - iw / ih) / (iw / ih)).toBeLessThan(0.5)
          }
        },
      ),
    )
  })
})

describe('canThumbnail', () => {
  it('takes the four raster types only', () => {
    for (const type of ['image/jpeg', 'image/png', 'image/webp', 'IMAGE/GIF'])
      expect(canThumbnail(type)).toBe(true)
    for (const type of ['image/svg+xml', 'video/mp4', 'application/pdf', undefined])
      expect(canThumbnail(type)).toBe(false)
  })
})
