import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import {
  FLOAT16_MAX,
  float16Bits,
  float16Value,
  float32FromFloat16LittleEndian,
  writeFloat16LittleEndian,
} from './float16.js';

describe('float16Bits', () => {
  it('gives the hand-computed IEEE binary16 bit patterns', () => {
    // sign | 5-bit exponent (bias 15) | 10-bit mantissa, worked out by hand.
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00], // 0 01111 0000000000
      [-2, 0xc000], // 1 10000 0000000000
      [0.5, 0x3800],
      [1.5, 0x3e00],
      [65504, 0x7bff], // 0 11110 1111111111
      [-65504, 0xfbff],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -14 - 2 ** -24, 0x03ff], // largest subnormal
      [3 * 2 ** -24, 0x0003],
      // 0.1 = 1.6 * 2^-4: exponent 11 (0b01011), mantissa 0.6 * 1024 = 614.4 -> 614 = 0x266.
      [0.1, 0x2e66],
      // 1/3 = 1.333.. * 2^-2: exponent 13, mantissa 341.33 -> 341 = 0x155.
      [1 / 3, 0x3555],
      [1 + 2 ** -10, 0x3c01],
    ];
    for (const [value, bits] of cases) expect([value, float16Bits(value)]).toEqual([value, bits]);
  });

  it('rounds to nearest with ties to even, also across exponents and in the subnormal range', () => {
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie, 0x3C00 is even: down
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie between 0x3C01 and 0x3C02: up to even
    expect(float16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above the tie: up
    expect(float16Bits(2 - 2 ** -11)).toBe(0x4000); // tie at 0x3FFF/0x4000: carry into the exponent
    expect(float16Bits(65488)).toBe(0x7bfe); // tie between 65472 (0x7BFE, even) and 65504: down
    expect(float16Bits(65490)).toBe(0x7bff);
  });

  it('rounds subnormals to nearest even and tiny values to signed zero', () => {
    expect(float16Bits(2 ** -25)).toBe(0x0000); // tie between 0 and 2^-24: even is 0
    expect(float16Bits(2 ** -25 + 2 ** -35)).toBe(0x0001);
    expect(float16Bits(3 * 2 ** -25)).toBe(0x0002); // 1.5 * 2^-24: tie, up to even 2
    expect(float16Bits(5 * 2 ** -25)).toBe(0x0002); // 2.5 * 2^-24: tie, down to even 2
    expect(float16Bits(-(2 ** -26))).toBe(0x8000);
    expect(float16Bits(1e-40)).toBe(0x0000); // a float32 subnormal
    expect(float16Bits(2 ** -14 - 2 ** -25)).toBe(0x0400); // tie at the largest subnormal: up to the smallest normal
  });

  it('rejects NaN, infinities and magnitudes above 65504, naming the value', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 65505, -70000, 1e9]) {
      expect(() => float16Bits(value)).toThrow(InvalidArgumentError);
    }
    expect(() => float16Bits(70000)).toThrow(
      /value must be a finite number of magnitude <= 65504 \(float16\): got 70000/,
    );
    expect(float16Bits(FLOAT16_MAX)).toBe(0x7bff);
  });
});

describe('float16Value', () => {
  it('inverts every finite bit pattern exactly and decodes the special ones', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      if (((bits >>> 10) & 0x1f) === 0x1f) continue;
      if (float16Bits(float16Value(bits)) !== bits) throw new Error(`bits 0x${bits.toString(16)} do not round-trip`);
    }
    expect(float16Value(0x3c00)).toBe(1);
    expect(float16Value(0xc000)).toBe(-2);
    expect(float16Value(0x7bff)).toBe(65504);
    expect(float16Value(0x0001)).toBe(2 ** -24);
    expect(float16Value(0x2e66)).toBe(0.0999755859375); // 1638 / 16384
    expect(float16Value(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(float16Value(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(float16Value(0x7e00)).toBeNaN();
    expect(Object.is(float16Value(0x8000), -0)).toBe(true);
  });
});

describe('writeFloat16LittleEndian / float32FromFloat16LittleEndian', () => {
  it('round-trips random normals within a relative error of 2^-11', () => {
    // Box-Muller over a fixed linear congruential generator: 20,000 values, several scales.
    let state = 12345;
    const uniform = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return (state + 1) / 2 ** 32;
    };
    const values = new Float32Array(20_000);
    for (let i = 0; i < values.length; i++) {
      const scale = [1, 0.02, 300][i % 3]!;
      values[i] = scale * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    }
    const bytes = new Uint8Array(3 + values.length * 2);
    writeFloat16LittleEndian(values, bytes, 3, 'w');
    const back = float32FromFloat16LittleEndian(bytes, 3, values.length);
    let worst = 0;
    for (let i = 0; i < values.length; i++) {
      // Below 2^-14 halves are subnormal: the absolute error is at most 2^-25 = 2^-11 * 2^-14.
      worst = Math.max(worst, Math.abs(back[i]! - values[i]!) / Math.max(Math.abs(values[i]!), 2 ** -14));
    }
    expect(worst).toBeLessThanOrEqual(2 ** -11);
    expect(worst).toBeGreaterThan(2 ** -12); // the bound is nearly reached: the conversion does round
  });

  it('stores the low byte first', () => {
    const bytes = new Uint8Array(4);
    writeFloat16LittleEndian([1, -2], bytes, 0, 'w');
    expect([...bytes]).toEqual([0x00, 0x3c, 0x00, 0xc0]);
  });

  it('names the tensor, the index and the value that does not fit', () => {
    expect(() => writeFloat16LittleEndian([1, 2, 1e5], new Uint8Array(6), 0, 'text.tok')).toThrow(
      'weights["text.tok"][2] must be a finite number of magnitude <= 65504 to be stored as float16: got 100000',
    );
    expect(() => writeFloat16LittleEndian([Number.NaN], new Uint8Array(2), 0, 'b')).toThrow(
      /weights\["b"\]\[0\].*got NaN/,
    );
  });
});
