import { fileURLToPath } from 'node:url';

/**
 * Absolute path of the MNIST base model shipped with the package (`checkpoints/mnist-mlp`): the
 * default `MLPDenoiser` (~0.88M weights, class-conditional with CFG dropout 0.1) trained with
 * `DiffusionSFTTrainer` for 3,000 steps by `scripts/train-base.ts`; held-out L_simple 0.093.
 * Load it with `loadDenoiser(MNIST_MLP_CHECKPOINT)`; see `checkpoints/README.md`.
 */
export const MNIST_MLP_CHECKPOINT: string = fileURLToPath(new URL('../checkpoints/mnist-mlp', import.meta.url));
