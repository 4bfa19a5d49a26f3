import { err, ok, type Result } from '@rhizome/core'
import type { Metadata } from 'sharp'
import { mediaTypeEssence } from './media-headers.js'

export type ThumbnailMethod = 'crop' | 'scale'

type Sharp = typeof import('sharp').default
let sharpModule: Promise<Sharp> | undefined

/**
 * sharp and libvips load on the first image, not at startup: a server that never makes a
 * thumbnail does not carry their memory.
 */
function loadSharp(): Promise<Sharp> {
  const loading = sharpModule ?? import('sharp').then((m) => m.default)
  sharpModule = loading
  return loading
}

export interface ThumbnailRequest {
  readonly width: number
  readonly height: number
  readonly method: ThumbnailMethod
  /** Whether the client asked for an animated thumbnail (`animated=true`). */
  readonly animated: boolean
}

/** What the thumbnailer reads and writes; other types (SVG, video, documents) are not decoded. */
const THUMBNAILABLE: ReadonlySet<string> = new Set([
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
])

/**
 * Images with more pixels than this are not decoded: a small file can claim an enormous canvas
 * (a decompression bomb), and decoding it would take the server's memory.
 */
export const MAX_THUMBNAIL_PIXELS = 8192 * 8192

export function canThumbnail(contentType: string | undefined): boolean {
  return contentType !== undefined && THUMBNAILABLE.has(mediaTypeEssence(contentType))
}

export interface ImageInfo {
  /** As displayed, after the EXIF orientation is applied. */
  readonly width: number
  readonly height: number
  readonly animated: boolean
}

export type ProbeFailure = 'unreadable' | 'too_large'

/** Reads the image's header only: its size and whether it has several frames. */
export async function probeImage(path: string): Promise<Result<ImageInfo, ProbeFailure>> {
  let metadata: Metadata
  try {
    const sharp = await loadSharp()
    metadata = await sharp(path, { limitInputPixels: false }).metadata()
  } catch {
    return err('unreadable')
  }
  const width = metadata.autoOrient.width
  const height = metadata.autoOrient.height
  if (width < 1 || height < 1) return err('unreadable')
  if (width * height > MAX_THUMBNAIL_PIXELS) return err('too_large')
  return ok({ width, height, animated: (metadata.pages ?? 1) > 1 })
}

/** The size a thumbnail is made at, and whether it keeps the animation. */
export interface ThumbnailPlan {
  readonly width: number
  readonly height: number
  readonly method: ThumbnailMethod
  readonly animated: boolean
  /** The original already is this thumbnail: no smaller, and no animation to drop. */
  readonly useOriginal: boolean
}

/**
 * Chooses the thumbnail's size (client-server-api §Thumbnails). `scale` keeps the aspect ratio
 * and fits the requested box; `crop` fills the requested box's aspect ratio. Neither ever
 * upscales: an image smaller than asked is served as it is, or cut to the asked aspect ratio at
 * its own scale. An animation is kept only when asked for; otherwise its first frame is used.
 */
export function planThumbnail(image: ImageInfo, request: ThumbnailRequest): ThumbnailPlan {
  const animated = request.animated && image.animated
  const dropsAnimation = image.animated && !animated
  let width: number
  let height: number
  if (request.method === 'scale') {
    const factor = Math.min(1, request.width / image.width, request.height / image.height)
    width = Math.max(1, Math.round(image.width * factor))
    height = Math.max(1, Math.round(image.height * factor))
  } else {
    const factor = Math.min(1, image.width / request.width, image.height / request.height)
    width = Math.max(1, Math.round(request.width * factor))
    height = Math.max(1, Math.round(request.height * factor))
  }
  const sameSize = width === image.width && height === image.height
  return {
    width,
    height,
    method: request.method,
    animated,
    useOriginal: sameSize && !dropsAnimation,
  }
}

export interface RenderedThumbnail {
  readonly bytes: Buffer
  readonly contentType: string
}

/**
 * Makes the thumbnail: animated ones as animated WebP (the spec's preference), still ones as JPEG
 * from a JPEG and as PNG otherwise (keeping transparency).
 */
export async function renderThumbnail(
  path: string,
  sourceType: string,
  plan: ThumbnailPlan,
): Promise<RenderedThumbnail> {
  const sharp = await loadSharp()
  const image = sharp(path, { animated: plan.animated, limitInputPixels: MAX_THUMBNAIL_PIXELS })
    .autoOrient()
    .resize(plan.width, plan.height, {
      fit: plan.method === 'crop' ? 'cover' : 'inside',
      withoutEnlargement: true,
    })
  if (plan.animated) {
    return { bytes: await image.webp({ quality: 80 }).toBuffer(), contentType: 'image/webp' }
  }
  if (mediaTypeEssence(sourceType) === 'image/jpeg') {
    return { bytes: await image.jpeg({ quality: 80 }).toBuffer(), contentType: 'image/jpeg' }
  }
  return { bytes: await image.png().toBuffer(), contentType: 'image/png' }
}
