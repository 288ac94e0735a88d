import * as tf from '@tensorflow/tfjs-core';
import type { BackendName, BackendRequest } from './backend-request.js';
import { resolveBackendRequest } from './backend-request.js';
import { BackendUnavailableError } from './backend-unavailable-error.js';
import { ensureBuiltinGradients } from './builtin-gradients.js';
import { DEFAULT_GRADIENT_OVERRIDES } from './default-gradient-overrides.js';
import type { GradientOverrideName } from './gradient-overrides.js';
import { GRADIENT_OVERRIDES, registerGradientOverrides, restoreDefaultGradients } from './gradient-overrides.js';
import { requireOneOf } from '../errors/validate.js';
import type { LoadedBackend } from './load-backend.js';
import { loadCpu, loadTensorflow, loadWasm } from './load-backend.js';
import { loadWebgpu } from './load-webgpu.js';
import { registerWasmKernelOverrides, restoreWasmKernels, type KernelOverrideName } from './wasm-kernel-overrides.js';

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /**
   * Which backend. 'auto' tries `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node` (when
   * the user installed one), then wasm. A backend asked for by name never falls back.
   * @defaultValue the `DPO_TS_BACKEND` environment variable when set, else 'auto'
   */
  readonly backend?: BackendRequest;
  /** Print nothing. @defaultValue false */
  readonly quiet?: boolean;
  /** Where the status line goes. @defaultValue console.error (keeps stdout for results) */
  readonly logger?: (line: string) => void;
  /**
   * Which gradient overrides to register: 'default' ({@link DEFAULT_GRADIENT_OVERRIDES} for the
   * backend), 'none' (tfjs's own gradients; for checking the overrides against them), or a list.
   * @defaultValue 'default'
   */
  readonly gradientOverrides?: 'default' | 'none' | readonly GradientOverrideName[];
  /**
   * Kernel overrides: 'default' registers, on wasm, every one of `KERNEL_OVERRIDES` (a SIMD
   * BatchMatMul kernel for batched and transposed products such as attention's; sums over
   * leading axes as a matmul); 'none' keeps every backend's own kernels (for checking ours
   * against them). Other backends have none.
   * @defaultValue 'default'
   */
  readonly kernelOverrides?: 'default' | 'none';
}

/** What {@link selectBackend} chose. */
export interface BackendInfo {
  /** The tfjs backend now running. */
  readonly name: BackendName;
  /** What was asked for ('auto' unless named in options or `DPO_TS_BACKEND`). */
  readonly requested: BackendRequest;
  /** The npm package providing the backend. */
  readonly package: string;
  /** Gradient overrides active after selection, in {@link GRADIENT_OVERRIDES} order. */
  readonly overrides: readonly GradientOverrideName[];
  /** Kernels replaced by dpo-ts's own on this backend: all of `KERNEL_OVERRIDES` on wasm by default; absent: none. */
  readonly kernelOverrides?: readonly KernelOverrideName[];
  /** Whether tfjs-core's own gradients (Sum, Mul, Relu, ...) are registered; training needs them. */
  readonly builtinGradients: boolean;
  /** wasm: worker threads (1 in Node). */
  readonly threads?: number;
  /** wasm: whether the SIMD build runs. */
  readonly simd?: boolean;
  /** 'auto' only: backends tried before this one, and why each was passed over. */
  readonly skipped?: readonly string[];
}

let current: BackendInfo | undefined;
let warnedAboutBuiltinGradients = false;
let queue: Promise<unknown> = /* @__PURE__ */ Promise.resolve();

const LOADERS: Record<BackendName, () => Promise<LoadedBackend>> = {
  tensorflow: loadTensorflow,
  wasm: loadWasm,
  webgpu: loadWebgpu,
  cpu: loadCpu,
};

/** 'auto': the first backend that loads, with the reasons the others were passed over. */
async function loadAuto(): Promise<{ loaded: LoadedBackend; skipped: string[] }> {
  const skipped: string[] = [];
  for (const name of ['tensorflow', 'wasm', 'cpu'] as const) {
    try {
      return { loaded: await LOADERS[name](), skipped };
    } catch (error) {
      if (!(error instanceof BackendUnavailableError)) throw error;
      skipped.push(`${name}: ${error.reasons.join('; ')}`);
    }
  }
  throw new BackendUnavailableError('cpu', skipped, 'No backend could be loaded: reinstall @dpo-ts/core.');
}

function overridesFor(
  name: BackendName,
  choice: SelectBackendOptions['gradientOverrides'],
): readonly GradientOverrideName[] {
  if (choice === undefined || choice === 'default') return DEFAULT_GRADIENT_OVERRIDES[name];
  if (choice === 'none') return [];
  return choice;
}

function statusLine(info: BackendInfo): string {
  const details: string[] = [];
  if (info.simd !== undefined) details.push(info.simd ? 'SIMD' : 'no SIMD');
  if (info.threads !== undefined) details.push(`${info.threads} thread${info.threads === 1 ? '' : 's'}`);
  if (info.skipped?.length) details.push(`auto: ${info.skipped.join('; ')}`);
  const detail = details.length ? ` (${details.join(', ')})` : '';
  const overrides = info.overrides.length ? info.overrides.join(', ') : 'none';
  const kernels = info.kernelOverrides?.length ? `; kernel overrides: ${info.kernelOverrides.join(', ')}` : '';
  return `dpo-ts: backend ${info.name}${detail}; gradient overrides: ${overrides}${kernels}`;
}

async function select(options: SelectBackendOptions): Promise<BackendInfo> {
  const { request } = resolveBackendRequest(options.backend);
  // Validate the override choice before anything changes.
  const choice = options.gradientOverrides;
  if (Array.isArray(choice))
    choice.forEach((name, i) => {
      requireOneOf(`gradientOverrides[${i}]`, name, GRADIENT_OVERRIDES);
    });
  else if (choice !== undefined) requireOneOf('gradientOverrides', choice, ['default', 'none']);
  if (options.kernelOverrides !== undefined)
    requireOneOf('kernelOverrides', options.kernelOverrides, ['default', 'none']);
  const log = options.quiet ? () => {} : (options.logger ?? ((line: string) => console.error(line)));
  // Already chosen, and still the active backend: 'auto' keeps it; a named request for the
  // same backend keeps it; only the overrides may change.
  const reuse =
    current !== undefined && tf.getBackend() === current.name && (request === 'auto' || request === current.name);
  let loaded: LoadedBackend;
  let skipped: string[] | undefined;
  if (reuse && current !== undefined) {
    if (options.gradientOverrides === undefined && options.kernelOverrides === undefined) return current;
    loaded = current;
    skipped = current.skipped?.slice();
  } else if (request === 'auto') {
    ({ loaded, skipped } = await loadAuto());
  } else {
    loaded = await LOADERS[request]();
  }
  // Built-in gradients first: the package that registers them registers every gradient.
  const builtin = await ensureBuiltinGradients();
  restoreDefaultGradients();
  const overrides = registerGradientOverrides(overridesFor(loaded.name, options.gradientOverrides));
  restoreWasmKernels();
  const kernelOverrides =
    loaded.name === 'wasm' && options.kernelOverrides !== 'none' ? registerWasmKernelOverrides() : [];
  const info: BackendInfo = {
    name: loaded.name,
    requested: reuse && current !== undefined ? current.requested : request,
    package: loaded.package,
    overrides,
    ...(kernelOverrides.length ? { kernelOverrides } : {}),
    builtinGradients: builtin.registered,
    ...(loaded.threads !== undefined ? { threads: loaded.threads } : {}),
    ...(loaded.simd !== undefined ? { simd: loaded.simd } : {}),
    ...(skipped?.length ? { skipped } : {}),
  };
  current = info;
  log(statusLine(info));
  if (!builtin.registered && !options.quiet && !warnedAboutBuiltinGradients) {
    warnedAboutBuiltinGradients = true;
    log(
      `dpo-ts: warning: tfjs's own gradients are not registered (${builtin.detail}); tf.grads of most ops will fail.`,
    );
  }
  return info;
}

/**
 * Chooses the tfjs backend for this process, once, and registers the gradient overrides that
 * make training work (and fast) on it. Library code never imports a backend; only this function
 * does, by dynamic import, so importing `@dpo-ts/core` loads none.
 *
 * - 'auto' (the default; or `DPO_TS_BACKEND`): tfjs-node-gpu, then tfjs-node when installed
 *   (optional peers), then wasm, then cpu; the status line says what was passed over and why.
 * - 'wasm': the practical default in Node (SIMD, one thread); registers all overrides.
 * - 'webgpu': only on request, through the `webgpu` package (Dawn); needs a GPU driver.
 * - 'tensorflow': tfjs-node-gpu or tfjs-node, which the user installs.
 * - 'cpu': pure JavaScript, the reference.
 *
 * A backend named explicitly either runs or throws {@link BackendUnavailableError} (what is
 * missing, how to install it); it never falls back. Calls after the first return the same
 * choice for 'auto' and the same name, and switch for a different name. Prints one line (to
 * stderr unless `logger` is given, nothing when `quiet`), e.g.
 * `dpo-ts: backend wasm (SIMD, 1 thread); gradient overrides: BatchMatMul, Conv2D, ...; kernel overrides: BatchMatMul, Sum, SplitV, Concat, Identity, Equal, Transpose`,
 * plus, once, a warning when tfjs's own gradients are not registered.
 *
 * Importing `@tensorflow/tfjs` or `@tensorflow/tfjs-layers` after this call re-registers tfjs's
 * own gradients over the overrides: import them first, or call again with `gradientOverrides`.
 * Creates no tensors.
 *
 * @throws InvalidArgumentError for an unknown backend name (in options or `DPO_TS_BACKEND`).
 * @throws BackendUnavailableError when a named backend cannot run here.
 */
export function selectBackend(options: SelectBackendOptions = {}): Promise<BackendInfo> {
  const result = queue.then(() => select(options));
  queue = result.catch(() => undefined);
  return result;
}

/** The backend chosen by the last successful {@link selectBackend}, if any. */
export function selectedBackend(): BackendInfo | undefined {
  return current !== undefined && tf.getBackend() === current.name ? current : undefined;
}
