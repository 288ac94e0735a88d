import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

/** The largest finite IEEE 754 half-precision value, `(2 - 2^-10) * 2^15`; bits `0x7BFF`. */
export const FLOAT16_MAX = 65504;

const float32 = new Float32Array(1);
const float32Bits = new Uint32Array(float32.buffer);

/**
 * The IEEE 754 binary16 bit pattern (a 16-bit unsigned integer) of `value`, rounded to nearest,
 * ties to even, with subnormal halves for magnitudes below 2^-14 (the smallest, 2^-24, is
 * `0x0001`; magnitudes up to 2^-25 round to a signed zero). `value` is first read as the float32
 * `Math.fround(value)`, so a float32 weight converts with one rounding.
 *
 * Examples: 1 -> `0x3C00`, -2 -> `0xC000`, 65504 -> `0x7BFF`, 0.1 -> `0x2E66`, -0 -> `0x8000`.
 * @throws InvalidArgumentError naming `value` when it is NaN, infinite or of magnitude above
 *   {@link FLOAT16_MAX} (no silent infinity).
 */
export function float16Bits(value: number): number {
  if (!(Math.abs(value) <= FLOAT16_MAX))
    throw new InvalidArgumentError('value', `a finite number of magnitude <= ${FLOAT16_MAX} (float16)`, value);
  float32[0] = value;
  const bits = float32Bits[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const mantissa = bits & 0x7fffff;
  // Exponent re-biased from float32's 127 to half's 15.
  const exponent = ((bits >>> 23) & 0xff) - 112;
  if (exponent <= 0) {
    // Subnormal half: the 24-bit significand (implicit 1 included) shifted right by 14 - exponent.
    const shift = 14 - exponent;
    if (shift > 24) return sign; // below 2^-25: rounds to zero
    return sign | roundShift(mantissa | 0x800000, shift);
  }
  // Normal half; a carry out of the mantissa correctly bumps the exponent.
  return sign | ((exponent << 10) + roundShift(mantissa, 13));
}

/** `significand >> shift`, rounded to nearest with ties to even (shift in 1..24). */
function roundShift(significand: number, shift: number): number {
  const kept = significand >>> shift;
  const rest = significand & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

/**
 * The value of the IEEE 754 binary16 bit pattern `bits` (its low 16 bits), exactly: every half is
 * a float32. `0x7C00` is `Infinity`, `0x7E00` `NaN`, `0x0001` 2^-24.
 */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (0x400 + mantissa) * 2 ** (exponent - 25);
}

let valueTable: Float32Array | undefined;

/**
 * The float32 values of `count` halves stored little-endian at byte `offset` of `bytes`, in a new
 * array (a 65,536-entry table, built on first use, does the conversion).
 */
export function float32FromFloat16LittleEndian(bytes: Uint8Array, offset: number, count: number): Float32Array {
  if (valueTable === undefined) {
    valueTable = new Float32Array(0x10000);
    for (let bits = 0; bits < 0x10000; bits++) valueTable[bits] = float16Value(bits);
  }
  const values = new Float32Array(count);
  for (let i = 0, at = offset; i < count; i++, at += 2) values[i] = valueTable[bytes[at]! | (bytes[at + 1]! << 8)]!;
  return values;
}

/**
 * Writes `values` as little-endian halves ({@link float16Bits}) into `bytes` from byte `offset`.
 * @param name - the tensor's name, for the error message.
 * @throws InvalidArgumentError naming the tensor, the index and the value when one is NaN, infinite
 *   or of magnitude above {@link FLOAT16_MAX}.
 */
export function writeFloat16LittleEndian(
  values: ArrayLike<number>,
  bytes: Uint8Array,
  offset: number,
  name: string,
): void {
  for (let i = 0, at = offset; i < values.length; i++, at += 2) {
    const value = values[i]!;
    if (!(Math.abs(value) <= FLOAT16_MAX)) {
      throw new InvalidArgumentError(
        `weights["${name}"][${i}]`,
        `a finite number of magnitude <= ${FLOAT16_MAX} to be stored as float16`,
        value,
      );
    }
    const bits = float16Bits(value);
    bytes[at] = bits & 0xff;
    bytes[at + 1] = bits >>> 8;
  }
}
