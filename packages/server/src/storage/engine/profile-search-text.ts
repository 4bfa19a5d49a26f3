import type { UserId } from '@rhizome/core'

/**
 * The words the user directory matches (client-server-api §User Directory: case-insensitive, on
 * user IDs and display names). A word is a run of letters and digits, lowercased after NFKC
 * normalization, so `@Alice.Smith:example.org` holds alice, smith, example and org, and "Ｂｏｂ"
 * holds bob. Both dialects store and query the same words, so they answer alike.
 */
export function searchWords(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '')
}

/**
 * The profiles.search_text column: every word of the user ID (without its sigil) and display
 * name, each with a space before it and one after the last, so that "some word starts with w"
 * is `search_text LIKE '% w%'` and "some word is w" is `LIKE '% w %'`. Words hold no LIKE
 * wildcards (`%` and `_` are not letters), so they need no escaping.
 */
export function profileSearchText(userId: UserId, displayname: string | undefined): string {
  const words = [...searchWords(userId.slice(1)), ...searchWords(displayname ?? '')]
  return ` ${words.join(' ')} `
}
