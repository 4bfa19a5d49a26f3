import type { AccountService } from '../accounts/account-service.js'
import type { Config } from '../config/config.js'
import type { Route } from '../http/endpoint.js'
import { postAccountDeactivateRoute } from './account/deactivate.js'
import { postAccountPasswordRoute } from './account/password.js'
import { getRegisterAvailableRoute } from './account/register-available.js'
import { postRegisterRoute } from './account/register.js'
import { getRegistrationTokenValidityRoute } from './account/registration-token-validity.js'
import { getWhoamiRoute } from './account/whoami.js'
import { getLoginFlowsRoute, postLoginRoute } from './auth/login.js'
import { postLogoutAllRoute, postLogoutRoute } from './auth/logout.js'
import { postDeleteDevicesRoute } from './devices/delete-devices.js'
import {
  deleteDeviceRoute,
  getDeviceRoute,
  getDevicesRoute,
  putDeviceRoute,
} from './devices/devices.js'

/** What the account routes use from the services. */
export interface AccountRouteServices {
  readonly accounts: AccountService
  readonly config: Config
}

/** Registration, login and logout, account management and devices. */
export const accountRoutes: readonly Route<AccountRouteServices>[] = [
  getLoginFlowsRoute,
  postLoginRoute,
  postLogoutRoute,
  postLogoutAllRoute,
  postRegisterRoute,
  getRegisterAvailableRoute,
  getRegistrationTokenValidityRoute,
  getWhoamiRoute,
  postAccountPasswordRoute,
  postAccountDeactivateRoute,
  getDevicesRoute,
  getDeviceRoute,
  putDeviceRoute,
  deleteDeviceRoute,
  postDeleteDevicesRoute,
]
