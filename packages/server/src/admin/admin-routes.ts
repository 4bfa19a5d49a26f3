import type { Route } from '../http/endpoint.js'
import {
  getAdminRegisterNonceRoute,
  postAdminRegisterRoute,
  type AdminRouteServices,
} from './register-endpoint.js'

/** The admin API (`/_synapse/admin/...`), served with the client API as Synapse does. */
export const adminRoutes: readonly Route<AdminRouteServices>[] = [
  getAdminRegisterNonceRoute,
  postAdminRegisterRoute,
]
