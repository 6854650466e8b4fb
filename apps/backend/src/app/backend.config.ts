import {
  ConfigOf,
  hex,
  loadConfigOrExit,
  optional,
  serverSchema,
} from '@gatehouse/shared/config';

export const backendSchema = {
  ...serverSchema(3000),
  JWT_SECRET: optional(
    hex('HS512 key (hex); when set, x-my-jwt is required and verified', {
      minBytes: 16,
    }),
  ),
};

export type BackendConfig = ConfigOf<typeof backendSchema>;

export const BACKEND_CONFIG = Symbol('BACKEND_CONFIG');

export function loadBackendConfig(): BackendConfig {
  return loadConfigOrExit('backend', backendSchema);
}
