import * as tf from '@tensorflow/tfjs-core';
import { Rng, computeNamedGradients } from '@dpo-ts/core/training';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { NoiseSchedule } from '../noise-schedule.js';
import { LatentTextDenoiser } from './latent-text-denoiser.js';
import { ddimSampleFromText, textGuidedNoise } from './text-guidance.js';

const CONFIG = { latentShape: [4, 4, 2] as const, textDim: 6, channels: 8, blocks: 2, groups: 4 };
const made: LatentTextDenoiser[] = [];
/** Zero-initialised layers (FiLM, conv2, output) would hide the gradients of what feeds them: move every weight by 0.1 N(0, 1). */
function perturb(model: LatentTextDenoiser, seed: number): void {
  const rng = new Rng(seed);
  for (const variable of model.namedVariables().values()) {
    tf.tidy(() =>
      variable.assign(
        tf.add(
          variable,
          tf.mul(
            0.1,
            tf.tensor(
              Float32Array.from({ length: variable.size }, () => rng.normal()),
              variable.shape,
            ),
          ),
        ),
      ),
    );
  }
}
/** Moves only the weights whose name passes `select` by 0.1 N(0, 1). */
function perturbOnly(model: LatentTextDenoiser, select: (name: string) => boolean, seed: number): void {
  const rng = new Rng(seed);
  for (const [name, variable] of model.namedVariables()) {
    if (!select(name)) continue;
    tf.tidy(() =>
      variable.assign(
        tf.add(
          variable,
          tf.tensor(
            Float32Array.from({ length: variable.size }, () => 0.1 * rng.normal()),
            variable.shape,
          ),
        ),
      ),
    );
  }
}
function denoiser(seed = 0): LatentTextDenoiser {
  const model = new LatentTextDenoiser({ ...CONFIG, seed });
  perturb(model, seed + 100);
  made.push(model);
  return model;
}
afterEach(() => {
  for (const model of made.splice(0)) model.dispose();
});
function random(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.normal()),
    shape,
  );
}

/** The gradient of `loss` in entry `index` of weight `name` matches a central difference (h = 0.01). */
function expectFiniteDifference(
  model: LatentTextDenoiser,
  loss: () => tf.Scalar,
  grads: ReadonlyMap<string, tf.Tensor>,
  name: string,
  index: number,
): void {
  const variable = model.namedVariables().get(name)!;
  const analytic = grads.get(name)!.dataSync()[index]!;
  const original = variable.dataSync().slice();
  const at = (delta: number) => {
    const moved = original.slice();
    moved[index] = moved[index]! + delta;
    variable.assign(tf.tensor(moved, variable.shape));
    return tf.tidy(() => loss().dataSync()[0]!);
  };
  const h = 1e-2;
  const numeric = (at(h) - at(-h)) / (2 * h);
  variable.assign(tf.tensor(original, variable.shape));
  expect(Math.abs(numeric - analytic), name).toBeLessThan(2e-3 + 0.02 * Math.abs(analytic));
}

describe('LatentTextDenoiser', () => {
  it('predicts noise of the latent shape with ~0.40M weights by default', async () => {
    const big = new LatentTextDenoiser();
    // in 2,368 + time MLP 24,832 + text 8,320 + null 64 + 4 blocks x 90,624 + out 2,436
    expect(big.parameterCount()).toBe(400516);
    big.dispose();
    const model = denoiser();
    await expectNoLeak(() => {
      const x = random([3, 4, 4, 2], 1) as tf.Tensor4D;
      const text = random([3, 6], 2) as tf.Tensor2D;
      const eps = model.predictNoise(x, tf.tensor1d([1, 500, 999]), text);
      expect(eps.shape).toEqual([3, 4, 4, 2]);
      tf.dispose([x, text, eps]);
    }, 1); // the tensor1d of timesteps above is the test's own
  });

  it('depends on the caption, and sends gradients to every weight and to the caption', async () => {
    const model = denoiser();
    const x = random([2, 4, 4, 2], 1) as tf.Tensor4D;
    const t = tf.tensor1d([10, 700]);
    const text = tf.variable(random([2, 6], 2)) as tf.Variable<tf.Rank.R2>;
    const [a, b] = tf.tidy(() => [
      model.predictNoise(x, t, text),
      model.predictNoise(x, t, tf.mul(text, -1) as tf.Tensor2D),
    ]);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a!, b!))).dataSync()[0])).toBeGreaterThan(1e-3);
    await expectNoLeak(() => {
      const variables = new Map([...model.namedVariables(), ['text', text]]);
      const { value, grads } = computeNamedGradients(
        () => tf.mean(tf.square(model.predictNoise(x, t, text))) as tf.Scalar,
        variables,
      );
      // Every weight but the null embedding, which this forward pass does not use.
      expect([...grads.keys()].sort()).toEqual([...variables.keys()].filter((name) => name !== 'null_text').sort());
      for (const [name, gradient] of grads) {
        expect(
          tf.tidy(() => tf.max(tf.abs(gradient)).dataSync()[0]),
          name,
        ).toBeGreaterThan(0);
      }
      tf.dispose([value, ...grads.values()]);
    });
    tf.dispose([x, t, text, a!, b!]);
  });

  it('drops captions to the null embedding with the given probability', () => {
    const model = denoiser();
    const text = tf.ones([2000, 6]) as tf.Tensor2D;
    const dropped = model.dropCaptions(text, new Rng(3), 0.25);
    const values = dropped.dataSync();
    const nullFirst = model.nullText.dataSync()[0]!;
    let nulls = 0;
    for (let row = 0; row < 2000; row++) if (values[row * 6] === nullFirst) nulls++;
    // Binomial(2000, 0.25): mean 500, std 19.4.
    expect(Math.abs(nulls - 500)).toBeLessThan(80);
    tf.dispose([text, dropped]);
  });
});

describe('LatentTextDenoiser with levels (the U-Net)', () => {
  const UNET = { latentShape: [8, 8, 2] as const, textDim: 6, channels: 8, blocks: 1, levels: [1, 2, 4], groups: 4 };

  it('keeps the flat network and its weight names at levels [1] (what committed bases load by)', () => {
    const flat = new LatentTextDenoiser({ ...CONFIG, levels: [1], seed: 3 });
    expect(flat.config.levels).toEqual([1]);
    const block = (i: number) =>
      ['norm1.gamma', 'norm1.beta', 'conv1.kernel', 'conv1.bias', 'film.kernel', 'film.bias']
        .concat(['norm2.gamma', 'norm2.beta', 'conv2.kernel', 'conv2.bias'])
        .map((part) => `block.${i}.${part}`);
    expect([...flat.namedVariables().keys()].sort()).toEqual(
      [
        'in.conv.kernel',
        'in.conv.bias',
        'emb.time.0.kernel',
        'emb.time.0.bias',
        'emb.time.1.kernel',
        'emb.time.1.bias',
        'emb.text.kernel',
        'emb.text.bias',
        'null_text',
        ...block(0),
        ...block(1),
        'out.norm.gamma',
        'out.norm.beta',
        'out.conv.kernel',
        'out.conv.bias',
      ].sort(),
    );
    flat.dispose();
  });

  it('has the weights a hand count gives, predicts the latent shape and leaks nothing', async () => {
    const model = new LatentTextDenoiser(UNET);
    made.push(model);
    // FiLM block (in -> out, E = 2C = 16): gn1 2in + conv1 9 in out + out + film 16 * 2out + 2out
    // + gn2 2out + conv2 9 out out + out (+ 1x1 skip in out + out when in != out).
    const block = (i: number, o: number) =>
      2 * i + 9 * i * o + o + 16 * 2 * o + 2 * o + 2 * o + 9 * o * o + o + (i !== o ? i * o + o : 0);
    const conv = (k: number, i: number, o: number) => k * k * i * o + o;
    const expected =
      conv(3, 2, 8) + // in.conv
      (8 * 16 + 16) +
      (16 * 16 + 16) +
      (6 * 16 + 16) +
      6 + // time MLP, text projection, null text
      block(8, 8) +
      conv(3, 8, 16) +
      block(16, 16) +
      conv(3, 16, 32) +
      block(32, 32) + // down
      block(32, 32) + // mid
      block(64, 32) +
      conv(3, 32, 16) +
      block(32, 16) +
      conv(3, 16, 8) +
      block(16, 8) + // up
      2 * 8 +
      conv(3, 8, 2); // out.norm, out.conv
    expect(model.parameterCount()).toBe(expected);
    for (const name of [
      'down.0.0.conv1.kernel',
      'down.1.downsample.kernel',
      'mid.conv2.kernel',
      'up.2.skip.kernel',
      'up.1.upsample.kernel',
    ])
      expect(model.namedVariables().has(name), name).toBe(true);
    await expectNoLeak(() => {
      const x = random([3, 8, 8, 2], 1) as tf.Tensor4D;
      const text = random([3, 6], 2) as tf.Tensor2D;
      const eps = model.predictNoise(x, tf.tensor1d([1, 500, 999]), text);
      expect(eps.shape).toEqual([3, 8, 8, 2]);
      tf.dispose([x, text, eps]);
    }, 1);
  });

  it('sends gradients to every weight but the null embedding, and matches a finite difference', () => {
    const model = new LatentTextDenoiser({ ...UNET, seed: 2 });
    made.push(model);
    perturb(model, 7); // every weight on a path to the output
    const x = random([2, 8, 8, 2], 3) as tf.Tensor4D;
    const t = tf.tensor1d([20, 600]);
    const text = random([2, 6], 4) as tf.Tensor2D;
    const loss = () => tf.mean(tf.square(model.predictNoise(x, t, text))) as tf.Scalar;
    const { value, grads } = computeNamedGradients(loss, model.namedVariables());
    expect([...grads.keys()].sort()).toEqual(
      [...model.namedVariables().keys()].filter((n) => n !== 'null_text').sort(),
    );
    for (const [name, gradient] of grads)
      expect(
        tf.tidy(() => tf.max(tf.abs(gradient)).dataSync()[0]),
        name,
      ).toBeGreaterThan(0);
    // Central difference on one weight of the deepest level's skip path.
    expectFiniteDifference(model, loss, grads, 'up.2.skip.kernel', 5);
    tf.dispose([value, ...grads.values(), x, t, text]);
  });

  it('refuses levels the latent cannot halve, or widths the groups do not divide, naming the field', () => {
    expect(() => new LatentTextDenoiser({ ...UNET, levels: [1, 2, 4, 8, 16] })).toThrow(
      /denoiser.levels must be at most as many levels as the latent 8x8 can halve/,
    );
    expect(() => new LatentTextDenoiser({ ...UNET, levels: [] })).toThrow(
      'denoiser.levels must be a non-empty array of positive integer multipliers: got []',
    );
    expect(() => new LatentTextDenoiser({ ...UNET, channels: 6 })).toThrow(
      /denoiser.groups must be a divisor of every level's channels \(6\)/,
    );
  });
});

describe('LatentTextDenoiser with cross-attention (contextLength > 0)', () => {
  const ATTENDING = { ...CONFIG, blocks: 1, levels: [1, 2], contextLength: 3, attentionHeads: 2 };
  /** `[b, 3, 6]` token vectors and `[b, 6]` pooled embeddings, as a caption encoder returns them. */
  function encoded(batch: number, seed: number) {
    return { tokens: random([batch, 3, 6], seed) as tf.Tensor3D, pooled: random([batch, 6], seed + 1) as tf.Tensor2D };
  }

  it('adds one attention layer of the hand-counted size per block, and L x textDim null token weights', () => {
    const plain = new LatentTextDenoiser({ ...ATTENDING, contextLength: 0 });
    const model = new LatentTextDenoiser(ATTENDING);
    made.push(plain, model);
    // Per block of C output channels: norm 2C, q C C + C, k 6 C + C, v 6 C + C, out C C + C.
    const attention = (c: number) => 2 * c + 2 * (c * c + c) + 2 * (6 * c + c);
    // Blocks: down.0 (8), down.1 (16), mid (16), up.1 (16), up.0 (8).
    const expected = plain.parameterCount() + 2 * attention(8) + 3 * attention(16) + 3 * 6;
    expect(model.parameterCount()).toBe(expected);
    expect(model.conditionWidth).toBe(24);
    expect(model.nullText.shape).toEqual([24]);
    for (const name of ['down.0.0.attn.q.kernel', 'mid.attn.k.kernel', 'up.1.attn.out.bias'])
      expect(model.namedVariables().has(name), name).toBe(true);
    expect(plain.conditionWidth).toBe(6);
  });

  it('packs [pooled | tokens flattened] as the condition row, and pooled alone without cross-attention', async () => {
    const model = new LatentTextDenoiser(ATTENDING);
    const plain = new LatentTextDenoiser({ ...ATTENDING, contextLength: 0 });
    made.push(model, plain);
    const input = encoded(2, 5);
    await expectNoLeak(() => {
      const row = model.textCondition(input);
      const pooled = input.pooled.arraySync();
      const tokens = input.tokens.arraySync();
      expect(row.shape).toEqual([2, 24]);
      const rows = row.arraySync();
      for (let b = 0; b < 2; b++) expect(rows[b]).toEqual([...pooled[b]!, ...tokens[b]!.flat()]);
      const alone = plain.textCondition(input);
      expect(alone.arraySync()).toEqual(pooled);
      tf.dispose([row, alone]);
    });
    const short = { tokens: random([2, 2, 6], 1) as tf.Tensor3D, pooled: input.pooled };
    expect(() => model.textCondition(short)).toThrow('encoded.tokens must be [2, 3, 6]: got "[2, 2, 6]"');
    const x = random([2, 4, 4, 2], 3) as tf.Tensor4D;
    expect(() => model.predictNoise(x, tf.tensor1d([1, 2]), input.pooled)).toThrow(
      'text must be [2, 24]: got "[2, 6]"',
    );
    tf.dispose([input.tokens, input.pooled, short.tokens, x]);
  });

  it('starts blind to the tokens (zero output projections), then reads them; gradients reach every weight', () => {
    const model = new LatentTextDenoiser({ ...ATTENDING, seed: 4 });
    made.push(model);
    const x = random([2, 4, 4, 2], 1) as tf.Tensor4D;
    const t = tf.tensor1d([30, 800]);
    const input = encoded(2, 6);
    const otherTokens = random([2, 3, 6], 9) as tf.Tensor3D;
    const predict = (tokens: tf.Tensor3D) =>
      tf.tidy(() => {
        const row = model.textCondition({ tokens, pooled: input.pooled });
        return model.predictNoise(x, t, row).dataSync();
      });
    // A fresh network's output conv is zero too: open it, and see the attention layers' output stay shut.
    perturbOnly(model, (name) => name.startsWith('out.conv'), 11);
    expect(Array.from(predict(otherTokens))).toEqual(Array.from(predict(input.tokens)));
    perturb(model, 12);
    const a = predict(input.tokens);
    const b = predict(otherTokens);
    expect(Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)))).toBeGreaterThan(1e-3);
    const tokens = tf.variable(input.tokens) as tf.Variable<tf.Rank.R3>;
    const loss = () =>
      tf.tidy(
        () =>
          tf.mean(
            tf.square(model.predictNoise(x, t, model.textCondition({ tokens, pooled: input.pooled }))),
          ) as tf.Scalar,
      );
    const { value, grads } = computeNamedGradients(loss, new Map([...model.namedVariables(), ['tokens', tokens]]));
    expect([...grads.keys()].sort()).toEqual(
      [...model.namedVariables().keys(), 'tokens'].filter((n) => n !== 'null_text').sort(),
    );
    for (const [name, gradient] of grads)
      expect(
        tf.tidy(() => tf.max(tf.abs(gradient)).dataSync()[0]),
        name,
      ).toBeGreaterThan(0);
    // Central difference on one key weight of the deepest block.
    expectFiniteDifference(model, loss, grads, 'mid.attn.k.kernel', 7);
    tf.dispose([value, ...grads.values(), x, t, input.tokens, input.pooled, otherTokens, tokens]);
  });

  it('drops whole condition rows, token part included, to the learned null row', () => {
    const model = new LatentTextDenoiser(ATTENDING);
    made.push(model);
    const input = encoded(40, 2);
    const rows = model.textCondition(input);
    const dropped = model.dropCaptions(rows, new Rng(3), 0.5);
    const values = dropped.arraySync();
    const original = rows.arraySync();
    const nullRow = Array.from(model.nullText.dataSync());
    let nulls = 0;
    for (let b = 0; b < 40; b++) {
      if (values[b]!.every((v, i) => Math.abs(v - nullRow[i]!) < 1e-7)) nulls += 1;
      else expect(values[b]).toEqual(original[b]);
    }
    expect(nulls).toBeGreaterThan(5);
    expect(nulls).toBeLessThan(35);
    tf.dispose([input.tokens, input.pooled, rows, dropped]);
  });

  it('refuses heads that do not divide the channels, naming the field', () => {
    expect(() => new LatentTextDenoiser({ ...ATTENDING, attentionHeads: 3 })).toThrow(
      /denoiser.attentionHeads must be a divisor of every level's channels \(8\)/,
    );
    expect(() => new LatentTextDenoiser({ ...ATTENDING, contextLength: -1 })).toThrow(/denoiser.contextLength/);
  });
});

describe('textGuidedNoise', () => {
  it('is u + w (c - u), with w = 1 the conditional and w = 0 the unconditional prediction', async () => {
    const model = denoiser();
    const x = random([2, 4, 4, 2], 4) as tf.Tensor4D;
    const t = tf.tensor1d([5, 400]);
    const text = random([2, 6], 5) as tf.Tensor2D;
    const conditional = model.predictNoise(x, t, text);
    const nullTexts = model.nullTexts(2);
    const unconditional = model.predictNoise(x, t, nullTexts);
    await expectNoLeak(() => {
      const [c, u] = [conditional.dataSync(), unconditional.dataSync()];
      for (const w of [0, 1, 2.5]) {
        const guided = textGuidedNoise(model, x, t, text, w);
        guided.dataSync().forEach((value, i) => {
          expect(value).toBeCloseTo(u[i]! + w * (c[i]! - u[i]!), 4);
        });
        guided.dispose();
      }
    });
    tf.dispose([x, t, text, conditional, nullTexts, unconditional]);
  });
});

describe('ddimSampleFromText', () => {
  it('samples latents of the denoiser shape, reproducibly, with per-step log-probs when eta > 0', async () => {
    const model = denoiser();
    const schedule = new NoiseSchedule({ numTimesteps: 100 });
    const text = random([3, 6], 6) as tf.Tensor2D;
    await expectNoLeak(() => {
      const a = ddimSampleFromText(model, schedule, { text, rng: new Rng(1), numSteps: 4, guidanceScale: 2 });
      const b = ddimSampleFromText(model, schedule, { text, rng: new Rng(1), numSteps: 4, guidanceScale: 2 });
      expect(a.latents.shape).toEqual([3, 4, 4, 2]);
      expect(Array.from(a.latents.dataSync())).toEqual(Array.from(b.latents.dataSync()));
      const stochastic = ddimSampleFromText(model, schedule, { text, rng: new Rng(1), numSteps: 4, eta: 1 });
      expect(stochastic.logProbs!.shape).toEqual([3, 4]);
      expect(stochastic.logProbs!.dataSync().every(Number.isFinite)).toBe(true);
      tf.dispose([a.latents, b.latents, stochastic.latents, stochastic.logProbs!]);
    });
    text.dispose();
  });
});
