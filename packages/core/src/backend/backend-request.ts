import { requireOneOf } from '../errors/validate.js';

/** A tfjs backend dpo-ts can run on, by tfjs's backend name. */
export type BackendName = 'tensorflow' | 'wasm' | 'webgpu' | 'cpu';

/**
 * What the user asks for: a backend by name, or `'auto'` (tfjs-node-gpu, then tfjs-node when
 * installed, then wasm).
 */
export type BackendRequest = 'auto' | BackendName;

/** Every accepted {@link BackendRequest}. */
export const BACKEND_REQUESTS: readonly BackendRequest[] = /* @__PURE__ */ Object.freeze([
  'auto',
  'tensorflow',
  'wasm',
  'webgpu',
  'cpu',
] as const);

/** Environment variable read by `selectBackend` when `options.backend` is absent. */
export const BACKEND_ENV_VAR = 'DPO_TS_BACKEND';

/** A validated request and where it came from. */
export interface ResolvedBackendRequest {
  /** The backend asked for, by name, or `'auto'`. */
  readonly request: BackendRequest;
  /** `options`: passed in code; `env`: from {@link BACKEND_ENV_VAR}; `default`: neither ('auto'). */
  readonly source: 'options' | 'env' | 'default';
}

/**
 * Validates the requested backend: `option` when given, else the environment variable
 * {@link BACKEND_ENV_VAR} when set and non-empty, else `'auto'`.
 *
 * @throws InvalidArgumentError naming `backend` or `DPO_TS_BACKEND` for an unknown value.
 */
export function resolveBackendRequest(
  option: unknown,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedBackendRequest {
  if (option !== undefined) return { request: requireOneOf('backend', option, BACKEND_REQUESTS), source: 'options' };
  const fromEnv = env[BACKEND_ENV_VAR]?.trim();
  if (fromEnv)
    return { request: requireOneOf(BACKEND_ENV_VAR, fromEnv.toLowerCase(), BACKEND_REQUESTS), source: 'env' };
  return { request: 'auto', source: 'default' };
}
