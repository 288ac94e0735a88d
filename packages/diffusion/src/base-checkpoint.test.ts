import { describe, expect, it } from 'vitest';
import { MNIST_MLP_CHECKPOINT } from './base-checkpoint.js';
import { loadDenoiser } from './denoiser-checkpoint.js';

describe('MNIST_MLP_CHECKPOINT', () => {
  it('points at the committed base model, which loads as the default MLP denoiser', async () => {
    const model = await loadDenoiser(MNIST_MLP_CHECKPOINT);
    expect(model.kind).toBe('mlp');
    expect(model.parameterCount()).toBe(882705);
    expect(model.imageShape).toEqual([28, 28, 1]);
    expect(model.numClasses).toBe(10);
    model.dispose();
  });
});
