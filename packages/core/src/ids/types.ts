import type { Brand } from './brand.js'

/**
 * The identifier types. Each is produced only by its parser (in the module of the same name), so
 * holding one means the string was checked against the grammar and length limits of the spec.
 */
export type ServerName = Brand<string, 'ServerName'>
export type UserId = Brand<string, 'UserId'>
export type RoomId = Brand<string, 'RoomId'>
export type EventId = Brand<string, 'EventId'>
export type RoomAlias = Brand<string, 'RoomAlias'>
