/**
 * The training steps the gradient-overrides benchmark times: a GPT-like LM step (matmul heavy,
 * sized like docs' d 128 model) and a small conv / conv-transpose step. Each step is forward +
 * backward of a scalar loss, run in tf.tidy; nothing survives a step except the variables.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Shape of the GPT-like model. */
export interface LmStepConfig {
  readonly vocabulary: number;
  readonly context: number;
  readonly dModel: number;
  readonly layers: number;
  readonly heads: number;
  readonly batch: number;
}

/** The d 128 model of the wasm-training notes: vocab 96, context 64, 4 layers, batch 16. */
export const GPT_D128: LmStepConfig = { vocabulary: 96, context: 64, dModel: 128, layers: 4, heads: 4, batch: 16 };

/** A step: runs forward + backward once and returns the loss (read synchronously). */
export interface TimedStep {
  readonly run: () => number;
  /** Multiply-add FLOPs of the matmuls or convolutions in one step (forward + 2x backward). */
  readonly flops: number;
  readonly dispose: () => void;
}

function randomVariable(shape: number[], scale: number, seed: number): tf.Variable {
  const initial = tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale));
  const variable = tf.variable(initial);
  initial.dispose();
  return variable;
}

function layerNorm(x: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
}

/** x [B, T, i] times w [i, o], as one 2-D matmul (the forward runs on wasm's fast path). */
function linear(x: tf.Tensor, w: tf.Tensor): tf.Tensor {
  const [b, t, i] = x.shape as [number, number, number];
  return tf.reshape(tf.matMul(tf.reshape(x, [b * t, i]), w), [b, t, w.shape[1]!]);
}

/**
 * A GPT-like LM step: token + position embeddings (gather), `layers` pre-norm blocks of causal
 * multi-head attention (batched [B, H, T, hd] matmuls) and a ReLU MLP (4d), a linear head and
 * softmax cross-entropy. The caller disposes the step.
 */
export function makeLmStep(config: LmStepConfig, seed = 1): TimedStep {
  const { vocabulary: v, context: t, dModel: d, layers, heads: h, batch: b } = config;
  const hd = d / h;
  const params: tf.Variable[] = [];
  const add = (shape: number[], scale: number) => {
    const variable = randomVariable(shape, scale, seed + params.length);
    params.push(variable);
    return variable;
  };
  const tokenEmbedding = add([v, d], 0.02);
  const positionEmbedding = add([t, d], 0.02);
  const blocks = Array.from({ length: layers }, () => ({
    qkv: add([d, 3 * d], 1 / Math.sqrt(d)),
    out: add([d, d], 1 / Math.sqrt(d)),
    up: add([d, 4 * d], 1 / Math.sqrt(d)),
    down: add([4 * d, d], 1 / Math.sqrt(4 * d)),
  }));
  const head = add([d, v], 1 / Math.sqrt(d));
  const tokens = tf.randomUniformInt([b, t], 0, v, seed);
  const targets = tf.randomUniformInt([b * t], 0, v, seed + 1);
  const mask = tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([t, t]), -1, 0)), -1e9)); // [T, T]

  const loss = (): tf.Scalar => {
    let x = tf.add(tf.gather(tokenEmbedding, tokens), positionEmbedding); // [B, T, d]
    const heads = (y: tf.Tensor) => tf.transpose(tf.reshape(y, [b, t, h, hd]), [0, 2, 1, 3]); // -> [B, H, T, hd]
    for (const block of blocks) {
      const [q, k, val] = tf.split(linear(layerNorm(x), block.qkv), 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const scores = tf.add(tf.mul(tf.matMul(heads(q), heads(k), false, true), 1 / Math.sqrt(hd)), mask); // [B, H, T, T]
      const attended = tf.matMul(tf.softmax(scores), heads(val)); // [B, H, T, hd]
      const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [b, t, d]);
      x = tf.add(x, linear(merged, block.out));
      x = tf.add(x, linear(tf.relu(linear(layerNorm(x), block.up)), block.down));
    }
    const logits = tf.reshape(linear(layerNorm(x), head), [b * t, v]);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(targets, v), tf.logSoftmax(logits)), -1))) as tf.Scalar;
  };

  const bt = b * t;
  const perLayer = 2 * bt * d * (3 * d + d + 8 * d) + 2 * 2 * b * h * t * t * hd;
  const forward = layers * perLayer + 2 * bt * d * v;
  return {
    run: () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(loss, params);
        const result = value.dataSync()[0]!;
        tf.dispose(grads);
        return result;
      }),
    flops: 3 * forward,
    dispose: () => tf.dispose([...params, tokens, targets, mask]),
  };
}

/** Shape of the conv step. */
export interface ConvStepConfig {
  readonly batch: number;
  readonly size: number;
  readonly channels: number;
}

/** Small enough that cpu's own conv gradients finish in about a second. */
export const SMALL_CONV: ConvStepConfig = { batch: 4, size: 16, channels: 8 };

/**
 * A small down/up-sampling step: conv 3x3 (c -> 2c), conv 3x3 stride 2 (2c -> 2c), transposed
 * conv 3x3 stride 2 back to (c) channels, mean squared error against the input. Exercises
 * Conv2D (both strides) and Conv2DBackpropInput (conv2dTranspose). The caller disposes the step.
 */
export function makeConvStep(config: ConvStepConfig, seed = 2): TimedStep {
  const { batch: n, size: s, channels: c } = config;
  const x = tf.randomNormal([n, s, s, c], 0, 1, 'float32', seed);
  const first = randomVariable([3, 3, c, 2 * c], 1 / Math.sqrt(9 * c), seed + 1);
  const down = randomVariable([3, 3, 2 * c, 2 * c], 1 / Math.sqrt(18 * c), seed + 2);
  const up = randomVariable([3, 3, c, 2 * c], 1 / Math.sqrt(18 * c), seed + 3); // [kh, kw, out, in]
  const loss = (): tf.Scalar => {
    const h1 = tf.relu(tf.conv2d(x as tf.Tensor4D, first as tf.Tensor4D, 1, 'same')); // [n, s, s, 2c]
    const h2 = tf.relu(tf.conv2d(h1, down as tf.Tensor4D, 2, 'same')); // [n, s/2, s/2, 2c]
    const y = tf.conv2dTranspose(h2, up as tf.Tensor4D, [n, s, s, c], 2, 'same'); // [n, s, s, c]
    return tf.mean(tf.square(tf.sub(y, x)));
  };
  const half = s / 2;
  const forward = 2 * 9 * (n * s * s * c * 2 * c + n * half * half * 2 * c * 2 * c + n * half * half * 2 * c * c);
  return {
    run: () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(loss, [first, down, up]);
        const result = value.dataSync()[0]!;
        tf.dispose(grads);
        return result;
      }),
    flops: 3 * forward,
    dispose: () => tf.dispose([x, first, down, up]),
  };
}

/** Forward + backward of a single matmul a * b (upstream gradient dy = 1), through tf.grads. */
export function makeMatMulStep(aShape: number[], bShape: number[], transposeB = false, seed = 3): TimedStep {
  const a = tf.randomNormal(aShape, 0, 1, 'float32', seed);
  const b = tf.randomNormal(bShape, 0, 1, 'float32', seed + 1);
  const dy = tf.tidy(() => tf.onesLike(tf.matMul(a, b, false, transposeB)));
  const m = aShape[aShape.length - 2]!;
  const k = aShape[aShape.length - 1]!;
  const n = transposeB ? bShape[bShape.length - 2]! : bShape[bShape.length - 1]!;
  const batch = dy.size / (m * n);
  return {
    run: () =>
      tf.tidy(() => {
        const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, false, transposeB))([a, b], dy);
        grads.forEach((g) => {
          g.dataSync();
        });
        return 0;
      }),
    flops: 2 * 2 * batch * m * k * n,
    dispose: () => tf.dispose([a, b, dy]),
  };
}
