import * as tf from '@tensorflow/tfjs-core';
import type { ParameterStore } from './parameter-store.js';
import { addBias } from './bias.js';

/** Weights of a dense layer: kernel `[in, out]`, bias `[out]`. */
export interface DenseParams {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
}

/** Weights of a 2-D convolution: kernel `[k, k, in, out]` (tfjs layout), bias `[out]`. */
export interface ConvParams {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
}

/** PyTorch-default dense layer (see {@link ParameterStore}); `zero` gives an all-zero layer. */
export function createDense(
  store: ParameterStore,
  name: string,
  inputs: number,
  outputs: number,
  zero = false,
): DenseParams {
  const bound = 1 / Math.sqrt(inputs);
  return zero
    ? { kernel: store.zeros(`${name}.kernel`, [inputs, outputs]), bias: store.zeros(`${name}.bias`, [outputs]) }
    : {
        kernel: store.uniform(`${name}.kernel`, [inputs, outputs], bound),
        bias: store.uniform(`${name}.bias`, [outputs], bound),
      };
}

/** PyTorch-default square convolution; `zero` gives an all-zero layer. */
export function createConv(
  store: ParameterStore,
  name: string,
  kernelSize: number,
  inputs: number,
  outputs: number,
  zero = false,
): ConvParams {
  const shape = [kernelSize, kernelSize, inputs, outputs];
  const bound = 1 / Math.sqrt(kernelSize * kernelSize * inputs);
  return zero
    ? { kernel: store.zeros(`${name}.kernel`, shape), bias: store.zeros(`${name}.bias`, [outputs]) }
    : { kernel: store.uniform(`${name}.kernel`, shape, bound), bias: store.uniform(`${name}.bias`, [outputs], bound) };
}

/** `x W + b`: `[batch, in] -> [batch, out]`. */
export function dense(params: DenseParams, x: tf.Tensor2D): tf.Tensor2D {
  return addBias(tf.matMul(x, params.kernel as tf.Tensor2D), params.bias);
}

/**
 * 'same'-padded convolution of NHWC images, `[b, h, w, in] -> [b, ceil(h/stride), ceil(w/stride), out]`.
 * On wasm its gradient needs core's conv2d gradient override (wasm has no Conv2DBackpropFilter).
 */
export function conv2d(params: ConvParams, x: tf.Tensor4D, stride = 1): tf.Tensor4D {
  return addBias(tf.conv2d(x, params.kernel as tf.Tensor4D, stride, 'same'), params.bias);
}

/** SiLU (swish), x * sigmoid(x), Ho et al.'s nonlinearity. Built from ops with gradients on every backend. */
export function silu<T extends tf.Tensor>(x: T): T {
  return tf.mul(x, tf.sigmoid(x));
}
