import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeMismatchError } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { requireBackend } from '@dpo-ts/core/backend';
import type { Checkpointable, NamedVariables } from '@dpo-ts/core';
import { attentionBias } from './attention-bias.js';
import type { CausalLMForwardOptions, IncrementalCausalLanguageModel } from './causal-lm.js';
import { embeddingLookup } from './embedding-lookup.js';
import { gptBlock } from './gpt-block.js';
import { resolveGPTConfig, type GPTConfig, type GPTConfigInput } from './gpt-config.js';
import { createGPTParameters, type GPTParameters } from './gpt-parameters.js';
import { KVCache, type LayerKeyValues } from './kv-cache.js';
import { layerNorm } from './layer-norm.js';
import { seededDropout } from './seeded-dropout.js';

/** Options of {@link GPT.forward}; see {@link CausalLMForwardOptions}. */
export type GPTForwardOptions = CausalLMForwardOptions;

/**
 * A GPT-2-style decoder-only transformer in tfjs-core ops: learned token and position
 * embeddings, `nLayer` pre-LN blocks of causal multi-head self-attention and a 4x GELU MLP,
 * a final layer norm and a linear head (tied to the token embeddings by default).
 *
 * `logits = LN_f(blocks(wte[ids] + wpe[positions])) W_head`, `W_head = wte^T` when tied.
 *
 * Weights are `tf.Variable`s with stable names (see {@link GPTParameters.byName}), exposed by
 * {@link GPT.namedVariables} for checkpoints; save and load them with {@link saveGPT} /
 * {@link loadGPT}. Dropout (rate `config.dropout`) is active only when a forward pass is called
 * with `training: true`, and draws its seeds from `options.rng` or the model's own stream.
 *
 * The model owns its variables: call {@link GPT.dispose} when done.
 *
 * @see Radford et al. 2019, "Language Models are Unsupervised Multitask Learners" (GPT-2);
 *   Vaswani et al. 2017, "Attention Is All You Need"; Karpathy's nanoGPT `model.py`.
 * @example
 * const model = new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 64 });
 * const logits = tf.tidy(() => model.forward(tf.tensor2d([[1, 5, 9]], undefined, 'int32')));
 * logits.dispose(); model.dispose();
 */
export class GPT implements IncrementalCausalLanguageModel, Checkpointable {
  /** The resolved, frozen configuration. */
  readonly config: GPTConfig;
  private readonly parameters: GPTParameters;
  private readonly dropoutRng: Rng;
  private disposed = false;

  /** Creates a model with freshly initialised weights (seeded by `config.seed`). */
  constructor(config: GPTConfigInput) {
    this.config = resolveGPTConfig(config);
    requireBackend('GPT');
    this.parameters = createGPTParameters(this.config);
    this.dropoutRng = new Rng((this.config.seed + 0x9e3779b9) >>> 0);
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  get contextLength(): number {
    return this.config.contextLength;
  }

  /** Next-token logits: int32 `[B, T]` -> `[B, T, V]`. New tensor; the caller disposes it. */
  forward(inputIds: tf.Tensor2D, options: GPTForwardOptions = {}): tf.Tensor3D {
    return tf.tidy(() => {
      const [B, T] = inputIds.shape;
      const { hidden } = this.run(inputIds, undefined, options, false);
      return tf.reshape(this.head(hidden), [B, T, this.config.vocabSize]) as tf.Tensor3D;
    });
  }

  /**
   * Final hidden states (after `ln_f`), for value heads and reward models: int32 `[B, T]` ->
   * `[B, T, dModel]`. New tensor; the caller disposes it.
   */
  hiddenStates(inputIds: tf.Tensor2D, options: GPTForwardOptions = {}): tf.Tensor3D {
    return tf.tidy(() => {
      const [B, T] = inputIds.shape;
      return tf.reshape(this.run(inputIds, undefined, options, false).hidden, [
        B,
        T,
        this.config.dModel,
      ]) as tf.Tensor3D;
    });
  }

  /**
   * Incremental decoding: logits for the new tokens given the cached keys and values of the
   * earlier ones. `inputIds` `[B, T]` are positions `cache.length .. cache.length + T - 1`
   * (unless `positionIds` says otherwise); `attentionMask`, when given, covers all
   * `cache.length + T` positions.
   *
   * @returns `logits` `[B, T, V]` and a new cache of `cache.length + T` positions. Both belong
   *   to the caller; the old cache is neither disposed nor aliased.
   */
  forwardWithCache(
    inputIds: tf.Tensor2D,
    cache: KVCache | undefined,
    options: Omit<GPTForwardOptions, 'training' | 'rng'> = {},
  ): {
    /** Next-token logits `[B, T, vocabSize]` at each new position; the caller disposes them. */
    logits: tf.Tensor3D;
    /** A new cache of `cache.length + T` positions; the caller disposes it. */
    cache: KVCache;
  } {
    const result = tf.tidy(() => {
      const [B, T] = inputIds.shape;
      const { hidden, presents } = this.run(inputIds, cache, options, true);
      return { logits: tf.reshape(this.head(hidden), [B, T, this.config.vocabSize]) as tf.Tensor3D, presents };
    });
    return { logits: result.logits, cache: new KVCache(result.presents) };
  }

  /** Every weight by stable name (`wte`, `h.0.attn.c_attn.kernel`, …), in a fixed order. */
  namedVariables(): NamedVariables {
    this.assertAlive();
    return this.parameters.byName;
  }

  /** All weights (every one is trained), in {@link GPT.namedVariables} order. */
  trainableVariables(): tf.Variable[] {
    this.assertAlive();
    return [...this.parameters.byName.values()];
  }

  /** Number of scalar weights (tied embeddings counted once). */
  numParameters(): number {
    let total = 0;
    for (const variable of this.parameters.byName.values()) total += variable.size;
    return total;
  }

  /** A new model with the same configuration and a copy of the current weights (e.g. a DPO reference). */
  clone(): GPT {
    const copy = new GPT(this.config);
    copy.assignWeights(this.namedVariables());
    return copy;
  }

  /**
   * Overwrites every weight from `weights` (same names, same shapes; extra or missing names
   * throw). Tensors are copied, not kept.
   */
  assignWeights(weights: ReadonlyMap<string, tf.Tensor>): void {
    this.assertAlive();
    const names = [...this.parameters.byName.keys()];
    const missing = names.filter((name) => !weights.has(name));
    const extra = [...weights.keys()].filter((name) => !this.parameters.byName.has(name));
    if (missing.length > 0 || extra.length > 0) {
      throw new InvalidArgumentError(
        'weights',
        `exactly the model's ${names.length} weights`,
        `${weights.size} weights`,
        `missing: [${missing.slice(0, 5).join(', ')}], unexpected: [${extra.slice(0, 5).join(', ')}]`,
      );
    }
    for (const [name, variable] of this.parameters.byName) {
      const value = weights.get(name)!;
      if (value.shape.join() !== variable.shape.join())
        throw new ShapeMismatchError(`weights.get("${name}")`, variable.shape, value.shape);
    }
    for (const [name, variable] of this.parameters.byName) variable.assign(weights.get(name)!);
  }

  /** Releases every variable. The model is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    for (const variable of this.parameters.byName.values()) variable.dispose();
    this.disposed = true;
  }

  /** The transformer up to `ln_f`: `hidden` `[B*T, d]` and, when asked, every layer's keys/values. */
  private run(
    inputIds: tf.Tensor2D,
    cache: KVCache | undefined,
    options: GPTForwardOptions,
    returnPresent: boolean,
  ): { hidden: tf.Tensor2D; presents: LayerKeyValues[] } {
    this.assertAlive();
    const { config, parameters } = this;
    if (inputIds.rank !== 2) throw new ShapeMismatchError('inputIds', [null, null], inputIds.shape);
    const [B, T] = inputIds.shape;
    const past = cache?.length ?? 0;
    if (T < 1 || past + T > config.contextLength) {
      throw new InvalidArgumentError(
        'inputIds',
        `1 to ${config.contextLength - past} positions (contextLength ${config.contextLength}, ${past} cached)`,
        `${T} positions`,
      );
    }
    if (options.positionIds) assertShapeEquals('positionIds', options.positionIds.shape, [B, T]);
    const rng = options.training && config.dropout > 0 ? (options.rng ?? this.dropoutRng) : undefined;
    const d = config.dModel;
    const ids = tf.reshape(tf.cast(inputIds, 'int32'), [B * T]) as tf.Tensor1D;
    const tokens = embeddingLookup(parameters.wte as tf.Tensor2D, ids, config.embeddingLookup);
    let h: tf.Tensor2D;
    if (options.positionIds) {
      const positions = tf.reshape(tf.cast(options.positionIds, 'int32'), [B * T]) as tf.Tensor1D;
      h = tf.add(tokens, embeddingLookup(parameters.wpe as tf.Tensor2D, positions, config.embeddingLookup));
    } else {
      // [B*T, d] -> [B, T, d] + [T, d] -> [B*T, d]
      const positions = tf.slice(parameters.wpe, [past, 0], [T, d]);
      h = tf.reshape(tf.add(tf.reshape(tokens, [B, T, d]), positions), [B * T, d]);
    }
    h = seededDropout(h, config.dropout, rng);
    const bias = attentionBias(T, past, options.attentionMask);
    const presents: LayerKeyValues[] = [];
    parameters.blocks.forEach((block, layer) => {
      const { output, present } = gptBlock(h, block, {
        batchSize: B,
        length: T,
        nHead: config.nHead,
        bias,
        past: cache?.layers[layer],
        dropout: config.dropout,
        rng,
        returnPresent,
        layerNormEpsilon: config.layerNormEpsilon,
      });
      h = output;
      if (present) presents.push(present);
    });
    const { gamma, beta } = parameters.lnF;
    return {
      hidden: layerNorm(h, gamma as tf.Tensor1D, beta as tf.Tensor1D, config.layerNormEpsilon) as tf.Tensor2D,
      presents,
    };
  }

  /** `[N, d] -> [N, V]`. The tied head materialises `wte^T` so the matmul has no transposed operand (wasm fast path). */
  private head(hidden: tf.Tensor2D): tf.Tensor2D {
    const kernel = this.parameters.lmHead ?? tf.transpose(this.parameters.wte);
    return tf.matMul(hidden, kernel as tf.Tensor2D);
  }

  private assertAlive(): void {
    if (this.disposed) throw new InvalidArgumentError('model', 'not disposed', 'a disposed GPT');
  }
}

function assertShapeEquals(argument: string, actual: readonly number[], expected: readonly number[]): void {
  if (actual.join() !== expected.join()) throw new ShapeMismatchError(argument, expected, actual);
}
