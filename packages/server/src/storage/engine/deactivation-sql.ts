/**
 * What a deactivated account loses besides its devices (whose keys, one-time keys and queued
 * to-device messages go with them): its cross-signing keys and the signatures by or about it,
 * and its key backups (the versions stay, deleted, so their numbers are never reused). Each takes
 * the user ID as $1; both dialects run them in the deactivation's transaction.
 */
export const DEACTIVATION_CLEANUP: readonly string[] = [
  'DELETE FROM cross_signing_keys WHERE user_id = $1',
  'DELETE FROM key_signatures WHERE target_user_id = $1 OR signer_user_id = $1',
  'DELETE FROM key_backup_keys WHERE user_id = $1',
  'UPDATE key_backup_versions SET deleted = TRUE WHERE user_id = $1',
]
