import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { Checkpointable } from '../surrogate/preference-scorer.js';
import type { FingerprintParts } from './fingerprint.js';
import { ReferenceScoreCache } from './reference-score-cache.js';
import { InMemoryReferenceScores, type ReferenceScoreStore } from './reference-score-store.js';

/** A model {@link prepareReference} can copy, freeze and, when the copy is its own, free. */
export interface ReferenceModel extends Checkpointable {
  /** Frees the model's variables; called on a copy made by {@link prepareReference} only. */
  dispose?(): void;
}

/** What {@link prepareReference} needs to know about a preference run. */
export interface PrepareReferenceOptions<TModel extends Checkpointable> {
  /** The policy. */
  readonly model: TModel;
  /** The caller's reference; omitted: a frozen copy of `model`. */
  readonly referenceModel: TModel | undefined;
  /** No reference at all (reference-free DPO): nothing is cloned or cached. */
  readonly referenceFree: boolean;
  /** A fresh copy of the policy (lm: `model.clone()`, diffusion: `cloneDenoiser(model)`). */
  readonly clone: (model: TModel) => TModel;
  /**
   * What a separate reference is, for the error when `referenceModel` is the policy:
   * `'a separate model (model.clone())'`.
   */
  readonly separateReference: string;
  /** Keep the reference scores (`precomputeRefLogProbs`). */
  readonly precompute: boolean;
  /** With `precompute`: the cache file kept across runs; omitted: in memory, never on disk. */
  readonly cacheFile: string | undefined;
  /**
   * Fingerprint of everything the reference scores depend on (reference weights, data, the
   * modality's settings) as named parts, computed only for a cache file (a miss then names the
   * part that changed).
   */
  readonly fingerprint: (reference: TModel) => Promise<FingerprintParts>;
}

/** The reference side of a preference run, as {@link prepareReference} set it up. */
export interface PreparedReference<TModel> {
  /** The frozen reference model, undefined when reference-free. */
  readonly model: TModel | undefined;
  /** True when the model is a copy made here, which {@link PreparedReference.dispose} frees. */
  readonly owned: boolean;
  /** Where precomputed scores are kept, undefined without `precompute`. */
  readonly cache: ReferenceScoreStore | undefined;
  /** Frees the copy made here (not the caller's model). */
  dispose(): void;
}

/**
 * The reference of a DPO run, set up the same way for every modality: refuses the policy as its
 * own reference (every log-ratio would be 0 and the loss stuck at log 2), uses the caller's
 * reference or a copy of the policy, marks every reference variable `trainable: false`, and with
 * `precompute` opens the score cache: on disk at `cacheFile` under `fingerprint` (reused across
 * runs while it matches, invalidated otherwise), else an {@link InMemoryReferenceScores} that
 * never touches the disk. A copy made here is freed again when opening the cache fails.
 *
 * @throws InvalidArgumentError for `referenceModel === model`, or a `cacheFile` without `precompute`.
 */
export async function prepareReference<TModel extends ReferenceModel>(
  options: PrepareReferenceOptions<TModel>,
): Promise<PreparedReference<TModel>> {
  if (options.referenceModel !== undefined && options.referenceModel === options.model) {
    throw new InvalidArgumentError(
      'options.referenceModel',
      `${options.separateReference}, not the policy itself`,
      'the policy',
      'omit it for a frozen copy of the policy, or set config.referenceFree: true for no reference',
    );
  }
  if (options.cacheFile !== undefined && !options.precompute) {
    throw new InvalidArgumentError(
      'options.referenceCacheFile',
      'given only with config.precomputeRefLogProbs: true',
      options.cacheFile,
    );
  }
  if (options.referenceFree) return { model: undefined, owned: false, cache: undefined, dispose: () => {} };
  const owned = options.referenceModel === undefined;
  const model = options.referenceModel ?? options.clone(options.model);
  for (const variable of model.namedVariables().values()) variable.trainable = false;
  const dispose = (): void => {
    if (owned) model.dispose?.();
  };
  try {
    let cache: ReferenceScoreStore | undefined;
    if (options.precompute) {
      cache =
        options.cacheFile === undefined
          ? new InMemoryReferenceScores()
          : await ReferenceScoreCache.open(options.cacheFile, await options.fingerprint(model), {
              argument: 'options.referenceCacheFile',
            });
    }
    return { model, owned, cache, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}
