import { backupKeyRoutes } from './backup-keys.js'
import { backupVersionRoutes } from './backup-versions.js'

/** Every key backup endpoint (client-server-api §Server-side key backups). */
export const roomKeysRoutes = [...backupVersionRoutes, ...backupKeyRoutes] as const
