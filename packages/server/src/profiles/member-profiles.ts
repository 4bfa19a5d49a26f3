import type { MemberProfile, ProfileLookup } from '../rooms/room-context.js'
import type { Storage } from '../storage/interface.js'

/**
 * The room service's profile lookup: a user's stored profile as the `displayname` and
 * `avatar_url` of their member events (client-server-api §Events on Change of Profile
 * Information: "when homeservers emit room membership events for their own users, they should
 * include the display name and avatar URL fields").
 */
export function storedMemberProfiles(storage: Storage): ProfileLookup {
  return async (userId) => {
    const profile = await storage.profiles.getProfile(userId)
    const member: { displayname?: string; avatar_url?: string } = {}
    if (profile?.displayname !== undefined) member.displayname = profile.displayname
    if (profile?.avatarUrl !== undefined) member.avatar_url = profile.avatarUrl
    return member satisfies MemberProfile
  }
}
