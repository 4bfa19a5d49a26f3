import type { MatrixClient } from 'matrix-js-sdk'
import { useEffect, useState } from 'react'
import { decryptAttachment, mediaDownloadUrl } from './attachments'
import { errorText } from './errorText'
import type { MediaView } from './timelineItems'

interface Props {
  readonly client: MatrixClient
  readonly media: MediaView
}

/**
 * Fetches an attachment through authenticated media, decrypts it if it was encrypted, and
 * shows it from a blob: URL that is released when the message leaves the screen.
 */
export function Attachment({ client, media }: Props) {
  const [objectUrl, setObjectUrl] = useState<string | undefined>()
  const [error, setError] = useState<string | undefined>()
  const mxc = media.file?.url ?? media.url ?? ''

  useEffect(() => {
    const controller = new AbortController()
    let created: string | undefined
    const url = mediaDownloadUrl(client.getHomeserverUrl(), mxc)
    if (url === undefined) {
      setError('The attachment has no valid address')
      return
    }
    void (async () => {
      try {
        const response = await fetch(url, {
          headers: { Authorization: `Bearer ${client.getAccessToken() ?? ''}` },
          signal: controller.signal,
        })
        if (!response.ok) throw new Error(`The server answered ${response.status}`)
        const fetched = await response.arrayBuffer()
        const bytes =
          media.file === undefined ? fetched : await decryptAttachment(fetched, media.file)
        if (controller.signal.aborted) return
        const type = media.mimetype ?? response.headers.get('content-type') ?? ''
        created = URL.createObjectURL(new Blob([bytes], { type }))
        setObjectUrl(created)
      } catch (caught) {
        if (!controller.signal.aborted) setError(errorText(caught))
      }
    })()
    return () => {
      controller.abort()
      if (created !== undefined) URL.revokeObjectURL(created)
      setObjectUrl(undefined)
    }
  }, [client, mxc, media.file, media.mimetype])

  if (error !== undefined) {
    return <p className="attachment error">{`Could not load ${media.name}: ${error}`}</p>
  }
  if (objectUrl === undefined) return <p className="attachment">{`Loading ${media.name}…`}</p>
  if (media.kind === 'image') {
    return (
      <img
        className="attachment"
        src={objectUrl}
        alt={media.name}
        {...(media.width === undefined ? {} : { width: media.width, height: media.height })}
      />
    )
  }
  return (
    <a className="attachment" href={objectUrl} download={media.name}>
      {media.name}
    </a>
  )
}
