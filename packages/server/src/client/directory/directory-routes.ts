import type { Route } from '../../http/endpoint.js'
import { profileRoutes, type ProfileRouteServices } from '../profile/profile.js'
import { publicRoomsRoutes } from './public-rooms.js'
import { roomAliasRoutes, type DirectoryRouteServices } from './room-aliases.js'
import { userDirectorySearchRoute } from './user-directory.js'

/** What the profile and directory routes use of the services. */
export type ProfileDirectoryServices = ProfileRouteServices & DirectoryRouteServices

/** Profiles, room aliases, the published room directory and the user directory. */
export const profileDirectoryRoutes: readonly Route<ProfileDirectoryServices>[] = [
  ...profileRoutes,
  ...roomAliasRoutes,
  ...publicRoomsRoutes,
  userDirectorySearchRoute,
]
