import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dpo-ts/core/training';
import type { GPTConfig } from './gpt-config.js';

/** Gain and shift of a layer norm, each `[dModel]`. */
export interface LayerNormParameters {
  /** Gain `[dModel]`, initialised to 1 (the `.gamma` weight). */
  readonly gamma: tf.Variable;
  /** Shift `[dModel]`, initialised to 0 (the `.beta` weight). */
  readonly beta: tf.Variable;
}

/** An affine map `x W + b`: kernel `[in, out]`, bias `[out]`. */
export interface DenseParameters {
  /** The matrix W, `[in, out]`. */
  readonly kernel: tf.Variable;
  /** The bias b, `[out]`, initialised to 0. */
  readonly bias: tf.Variable;
}

/** The weights of one pre-LN transformer block, named as in GPT-2 (`h.<i>.…`). */
export interface GPTBlockParameters {
  /** The layer norm before attention (`h.<i>.ln_1`). */
  readonly ln1: LayerNormParameters;
  /** `c_attn`: `[d, 3d]`, queries, keys and values side by side; `c_proj`: `[d, d]`. */
  readonly attention: {
    /** `h.<i>.attn.c_attn`, `[d, 3d]`: the query, key and value projections side by side. */
    readonly cAttn: DenseParameters;
    /** `h.<i>.attn.c_proj`, `[d, d]`: the residual output projection (scaled-down initialisation). */
    readonly cProj: DenseParameters;
  };
  /** The layer norm before the MLP (`h.<i>.ln_2`). */
  readonly ln2: LayerNormParameters;
  /** `c_fc`: `[d, 4d]`; `c_proj`: `[4d, d]`. */
  readonly mlp: {
    /** `h.<i>.mlp.c_fc`, `[d, 4d]`: the expansion before GELU. */
    readonly cFc: DenseParameters;
    /** `h.<i>.mlp.c_proj`, `[4d, d]`: the residual output projection (scaled-down initialisation). */
    readonly cProj: DenseParameters;
  };
}

/** Every weight of a {@link GPT}, structured, plus the same variables by stable name. */
export interface GPTParameters {
  /** Token embeddings `[vocabSize, dModel]` (also the output projection when tied). */
  readonly wte: tf.Variable;
  /** Position embeddings `[contextLength, dModel]`. */
  readonly wpe: tf.Variable;
  /** The `nLayer` transformer blocks, `h.0` first. */
  readonly blocks: readonly GPTBlockParameters[];
  /** The final layer norm before the output projection (`ln_f`). */
  readonly lnF: LayerNormParameters;
  /** Output projection `[dModel, vocabSize]`, only when `tieWeights` is false. */
  readonly lmHead: tf.Variable | undefined;
  /**
   * All of the above by stable name, in creation order: `wte`, `wpe`, `h.0.ln_1.gamma`,
   * `h.0.ln_1.beta`, `h.0.attn.c_attn.kernel`, `h.0.attn.c_attn.bias`, `h.0.attn.c_proj.kernel`,
   * `h.0.attn.c_proj.bias`, `h.0.ln_2.gamma`, `h.0.ln_2.beta`, `h.0.mlp.c_fc.kernel`,
   * `h.0.mlp.c_fc.bias`, `h.0.mlp.c_proj.kernel`, `h.0.mlp.c_proj.bias`, … , `ln_f.gamma`,
   * `ln_f.beta`, and `lm_head.kernel` when untied.
   */
  readonly byName: ReadonlyMap<string, tf.Variable>;
}

let modelCounter = 0;

/** A tfjs variable-name prefix no registered variable uses (tfjs names are process-global). */
function uniquePrefix(): string {
  const registered = tf.engine().registeredVariables;
  for (;;) {
    const prefix = `dpo-ts.lm.gpt_${modelCounter++}/`;
    if (!Object.keys(registered).some((name) => name.startsWith(prefix))) return prefix;
  }
}

/**
 * Creates the variables of a GPT with GPT-2's initialisation: every matrix and embedding
 * ~ N(0, initStd^2); the two residual output projections of each block (`attn.c_proj`,
 * `mlp.c_proj`) ~ N(0, (initStd / sqrt(2 nLayer))^2), so the residual stream's variance does
 * not grow with depth; biases 0; layer-norm gains 1, shifts 0.
 *
 * Draws come from core's {@link Rng} seeded with `config.seed`, in the order of
 * {@link GPTParameters.byName}, so the same config gives the same weights on every backend.
 *
 * @see Radford et al. 2019, Sec. 2.3 (modified initialisation); nanoGPT `model.py` `_init_weights`.
 * @returns new variables; the model owns them and disposes them in `GPT.dispose()`.
 */
export function createGPTParameters(config: GPTConfig): GPTParameters {
  const rng = new Rng(config.seed);
  const prefix = uniquePrefix();
  const byName = new Map<string, tf.Variable>();
  const { dModel: d, vocabSize, contextLength, nLayer, initStd } = config;
  const residualStd = initStd / Math.sqrt(2 * nLayer);

  const make = (name: string, shape: number[], init: 'normal' | 'zeros' | 'ones', std = initStd): tf.Variable => {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (init === 'normal') for (let i = 0; i < size; i++) values[i] = rng.normal() * std;
    else if (init === 'ones') values.fill(1);
    const variable = tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), true, `${prefix}${name}`));
    byName.set(name, variable);
    return variable;
  };
  const layerNorm = (name: string): LayerNormParameters => ({
    gamma: make(`${name}.gamma`, [d], 'ones'),
    beta: make(`${name}.beta`, [d], 'zeros'),
  });
  const dense = (name: string, inputs: number, outputs: number, std = initStd): DenseParameters => ({
    kernel: make(`${name}.kernel`, [inputs, outputs], 'normal', std),
    bias: make(`${name}.bias`, [outputs], 'zeros'),
  });

  const wte = make('wte', [vocabSize, d], 'normal');
  const wpe = make('wpe', [contextLength, d], 'normal');
  const blocks: GPTBlockParameters[] = [];
  for (let layer = 0; layer < nLayer; layer++) {
    const name = `h.${layer}`;
    blocks.push({
      ln1: layerNorm(`${name}.ln_1`),
      attention: {
        cAttn: dense(`${name}.attn.c_attn`, d, 3 * d),
        cProj: dense(`${name}.attn.c_proj`, d, d, residualStd),
      },
      ln2: layerNorm(`${name}.ln_2`),
      mlp: {
        cFc: dense(`${name}.mlp.c_fc`, d, 4 * d),
        cProj: dense(`${name}.mlp.c_proj`, 4 * d, d, residualStd),
      },
    });
  }
  const lnF = layerNorm('ln_f');
  const lmHead = config.tieWeights ? undefined : make('lm_head.kernel', [d, vocabSize], 'normal');
  return { wte, wpe, blocks, lnF, lmHead, byName };
}
