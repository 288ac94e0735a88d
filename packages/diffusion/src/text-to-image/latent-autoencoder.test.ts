import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeNamedGradients, Rng } from '@dpo-ts/core/training';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { autoencoderLoss } from './autoencoder-loss.js';
import { loadLatentAutoencoder, saveLatentAutoencoder } from './autoencoder-checkpoint.js';
import { LatentAutoencoder, resolveLatentAutoencoderConfig } from './latent-autoencoder.js';
import { computeLatentScalingFactor } from './latent-scaling.js';

const TINY = { imageShape: [8, 8, 3] as const, channels: [8, 8], latentChannels: 2, groups: 4 };
const models: LatentAutoencoder[] = [];
function tiny(seed = 0): LatentAutoencoder {
  const model = new LatentAutoencoder({ ...TINY, seed });
  models.push(model);
  return model;
}
afterEach(() => {
  for (const model of models.splice(0)) model.dispose();
});
function images(count: number, seed = 1): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(
    Float32Array.from({ length: count * 8 * 8 * 3 }, () => 2 * rng.uniform() - 1),
    [count, 8, 8, 3],
  );
}

describe('LatentAutoencoder', () => {
  it('maps 32x32x3 to 8x8x4 by default and back, with ~0.42M weights', async () => {
    const model = new LatentAutoencoder();
    try {
      expect(model.latentShape).toEqual([8, 8, 4]);
      expect(model.parameterCount()).toBe(416203);
      await expectNoLeak(() => {
        const x = tf.zeros([2, 32, 32, 3]) as tf.Tensor4D;
        const { mean, logVariance } = model.encode(x);
        expect(mean.shape).toEqual([2, 8, 8, 4]);
        expect(logVariance.shape).toEqual([2, 8, 8, 4]);
        const decoded = model.decode(mean);
        expect(decoded.shape).toEqual([2, 32, 32, 3]);
        tf.dispose([x, mean, logVariance, decoded]);
      });
    } finally {
      model.dispose();
    }
  });

  it('is deterministic in its seed', () => {
    const [a, b, c] = [tiny(3), tiny(3), tiny(4)];
    const weight = (m: LatentAutoencoder) => Array.from(m.namedVariables().get('dec.out.conv.kernel')!.dataSync());
    expect(weight(a)).toEqual(weight(b));
    expect(weight(a)).not.toEqual(weight(c));
  });

  it('refuses configurations it cannot build, naming the field', () => {
    expect(() => resolveLatentAutoencoderConfig({ channels: [8, 12], groups: 8 })).toThrow(
      /autoencoder.groups must be a divisor of every level's channels \(12\)/,
    );
    expect(() => resolveLatentAutoencoderConfig({ imageShape: [30, 30, 3], channels: [8, 8, 8] })).toThrow(
      /autoencoder.imageShape must be height and width divisible by 4/,
    );
  });

  it('sends gradients to every weight, without leaking tensors', async () => {
    const model = tiny();
    const x = images(3);
    await expectNoLeak(() => {
      const { value, grads } = computeNamedGradients(() => {
        const terms = autoencoderLoss(model, x, new Rng(5), 0.5, { scaleEquivarianceWeight: 0.5 });
        tf.dispose([terms.reconstruction, terms.kl, terms.scaleEquivariance]);
        return terms.loss;
      }, model.namedVariables());
      expect(grads.size).toBe(model.namedVariables().size);
      for (const [name, gradient] of grads)
        expect(
          tf.tidy(() => tf.max(tf.abs(gradient)).dataSync()[0]),
          name,
        ).toBeGreaterThan(0);
      tf.dispose([value, ...grads.values()]);
    });
    x.dispose();
  });

  it('computes loss = L1 + klWeight * KL / P with the KL of a diagonal Gaussian', () => {
    const model = tiny();
    const x = images(2);
    const { mean, logVariance } = model.encode(x);
    const [m, v] = [mean.dataSync(), logVariance.dataSync()];
    // KL by hand, per example then averaged, divided by the 8*8*3 pixel values.
    let kl = 0;
    for (let i = 0; i < m.length; i++) kl += 0.5 * (m[i]! ** 2 + Math.exp(v[i]!) - 1 - v[i]!);
    const expectedKl = kl / 2 / (8 * 8 * 3);
    const terms = autoencoderLoss(model, x, new Rng(9), 0.25);
    expect(terms.kl.dataSync()[0]).toBeCloseTo(expectedKl, 5);
    expect(terms.loss.dataSync()[0]).toBeCloseTo(terms.reconstruction.dataSync()[0]! + 0.25 * expectedKl, 5);
    expect(terms.scaleEquivariance.dataSync()[0]).toBe(0);
    tf.dispose([x, mean, logVariance, terms.loss, terms.reconstruction, terms.kl, terms.scaleEquivariance]);
  });

  it('adds seWeight * |pool_f(x) - decode(pool_f(z))| with f drawn after the noise, the rest unchanged', () => {
    const model = tiny();
    const x = images(2);
    const [lh, lw, lc] = model.latentShape; // 4x4x2 for the 8x8 tiny model
    // The same draws as the loss: the posterior noise, then the factor (one of [2]).
    const rng = new Rng(9);
    const noise = Float32Array.from({ length: 2 * lh * lw * lc }, () => rng.normal());
    // 2x2 average pooling by hand, [b][h][w][c] -> [b][h/2][w/2][c].
    const pool2 = (maps: number[][][][]): number[][][][] =>
      maps.map((map) =>
        Array.from({ length: map.length / 2 }, (_, i) =>
          Array.from({ length: map[0]!.length / 2 }, (_, j) =>
            map[0]![0]!.map(
              (_, c) =>
                (map[2 * i]![2 * j]![c]! +
                  map[2 * i]![2 * j + 1]![c]! +
                  map[2 * i + 1]![2 * j]![c]! +
                  map[2 * i + 1]![2 * j + 1]![c]!) /
                4,
            ),
          ),
        ),
      );
    const expected = tf.tidy(() => {
      const { mean, logVariance } = model.encode(x);
      const z = tf.add(mean, tf.mul(tf.exp(tf.mul(logVariance, 0.5)), tf.tensor4d(noise, [2, lh, lw, lc])));
      const decoded = model.decode(tf.tensor4d(pool2(z.arraySync() as number[][][][]))); // [2, 4, 4, 3]
      return tf.mean(tf.abs(tf.sub(tf.tensor4d(pool2(x.arraySync())), decoded))).dataSync()[0]!;
    });
    const off = autoencoderLoss(model, x, new Rng(9), 0.25);
    const on = autoencoderLoss(model, x, new Rng(9), 0.25, { scaleEquivarianceWeight: 0.5, scaleFactors: [2] });
    expect(on.scaleEquivariance.dataSync()[0]).toBeCloseTo(expected, 5);
    expect(on.reconstruction.dataSync()[0]).toBeCloseTo(off.reconstruction.dataSync()[0]!, 6);
    expect(on.loss.dataSync()[0]).toBeCloseTo(off.loss.dataSync()[0]! + 0.5 * expected, 5);
    expect(() => autoencoderLoss(model, x, new Rng(9), 0, { scaleEquivarianceWeight: 1, scaleFactors: [8] })).toThrow(
      'options.scaleFactors must be a non-empty list of integers >= 1 dividing the latent size 4x4: got [8]',
    );
    expect(() => autoencoderLoss(model, x, new Rng(9), 0, { scaleEquivarianceWeight: -1 })).toThrow(
      /options.scaleEquivarianceWeight/,
    );
    tf.dispose([x, off.loss, off.reconstruction, off.kl, off.scaleEquivariance]);
    tf.dispose([on.loss, on.reconstruction, on.kl, on.scaleEquivariance]);
  });

  it('learns to reconstruct a few images (L1 falls by a third in 25 steps)', async () => {
    const { AdamWOptimizer } = await import('@dpo-ts/core/training');
    const model = new LatentAutoencoder({ imageShape: [4, 4, 3], channels: [4, 4], latentChannels: 2, groups: 2 });
    models.push(model);
    const x = tf.tidy(() => tf.slice(images(1), [0, 0, 0, 0], [1, 4, 4, 3]));
    const optimizer = new AdamWOptimizer(model.namedVariables(), { learningRate: 1e-2, weightDecay: 0 });
    const rng = new Rng(0);
    const l1 = () => tf.tidy(() => tf.mean(tf.abs(tf.sub(model.decode(model.encodeMean(x)), x))).dataSync()[0]!);
    const before = l1();
    for (let step = 0; step < 25; step++) {
      const { value, grads } = computeNamedGradients(() => {
        const terms = autoencoderLoss(model, x, rng);
        tf.dispose([terms.reconstruction, terms.kl, terms.scaleEquivariance]);
        return terms.loss;
      }, model.namedVariables());
      optimizer.applyGradients(grads);
      tf.dispose([value, ...grads.values()]);
    }
    expect(l1()).toBeLessThan((2 / 3) * before);
    optimizer.dispose();
    x.dispose();
  });
});

describe('computeLatentScalingFactor', () => {
  it('is 1 / std of the posterior means over every entry, batch size aside', async () => {
    const model = tiny();
    const x = images(5);
    const means = Array.from(tf.tidy(() => model.encodeMean(x).dataSync()));
    const average = means.reduce((a, b) => a + b, 0) / means.length;
    const std = Math.sqrt(means.reduce((a, b) => a + (b - average) ** 2, 0) / means.length);
    await expectNoLeak(async () => {
      expect(await computeLatentScalingFactor(model, x, 2)).toBeCloseTo(1 / std, 4);
    });
    x.dispose();
  });
});

describe('saveLatentAutoencoder / loadLatentAutoencoder', () => {
  it('round-trips weights, configuration and scaling factor', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'autoencoder-'));
    try {
      const model = tiny(7);
      await saveLatentAutoencoder(directory, { autoencoder: model, scalingFactor: 0.75 });
      const loaded = await loadLatentAutoencoder(directory);
      models.push(loaded.autoencoder);
      expect(loaded.scalingFactor).toBe(0.75);
      expect(loaded.autoencoder.config).toEqual(model.config);
      const x = images(1);
      const [a, b] = [model.encodeMean(x), loaded.autoencoder.encodeMean(x)];
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([x, a, b]);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('names the file when the format or scaling factor is wrong', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'autoencoder-'));
    try {
      await saveLatentAutoencoder(directory, { autoencoder: tiny(), scalingFactor: 1 });
      const configPath = join(directory, 'config.json');
      const header = JSON.parse(await readFile(configPath, 'utf8'));
      await writeFile(configPath, JSON.stringify({ ...header, scalingFactor: -1 }));
      await expect(loadLatentAutoencoder(directory)).rejects.toThrow(
        /config.json: scalingFactor must be a finite number > 0: got -1/,
      );
      await writeFile(configPath, JSON.stringify({ ...header, format: 'dpo-ts.denoiser' }));
      await expect(loadLatentAutoencoder(directory)).rejects.toThrow(
        /config.json: format must be "dpo-ts.latent-autoencoder"/,
      );
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
