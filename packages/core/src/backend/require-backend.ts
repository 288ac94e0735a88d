import * as tf from '@tensorflow/tfjs-core';
import { DPOTSError } from '../errors/dpo-ts-error.js';

/**
 * No TensorFlow.js backend is registered when a model is created. tfjs itself only says
 * "No backend found in registry."; this error says what to do:
 * `GPT needs a TensorFlow.js backend and none is registered: call \`await selectBackend()\` ...`
 */
export class NoBackendError extends DPOTSError {
  /** What needed the backend (a class or function name). */
  readonly context: string;

  /**
   * Builds the message that tells to call `await selectBackend()` first.
   * @param context - what needed the backend, e.g. `'GPT'`.
   */
  constructor(context: string) {
    super(
      `${context} needs a TensorFlow.js backend and none is registered: call \`await selectBackend()\` ` +
        "(import { selectBackend } from '@dpo-ts/core/backend') first, or register one yourself " +
        "(import '@tensorflow/tfjs-backend-cpu' and `await tf.setBackend('cpu')`).",
    );
    this.context = context;
  }
}

/**
 * Throws {@link NoBackendError} when tfjs has no backend at all, so creating a model before
 * {@link selectBackend} fails with a message that says to call it, instead of tfjs's
 * "No backend found in registry.". Starts nothing: a registered backend that is not yet
 * initialised passes, and tfjs initialises it on first use as usual. Model constructors call it.
 * @param context - what needs the backend, named in the message (e.g. `'GPT'`).
 */
export function requireBackend(context: string): void {
  const engine = tf.engine();
  // engine.backendName is set once a backend runs; registryFactory lists what could run.
  if (engine.backendName == null && Object.keys(engine.registryFactory).length === 0) {
    throw new NoBackendError(context);
  }
}
