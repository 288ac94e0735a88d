/**
 * The few pieces of the WebAssembly binary format that `simdMatMulModule` needs: LEB128
 * integers, sections, and the instructions it uses, each as the bytes it encodes to. Hand
 * assembly keeps the kernel's source in TypeScript beside its tests, with no compiler toolchain
 * at build time (none is installed from the npm registry alone) and no opaque binary in the repo.
 *
 * @see WebAssembly Core Specification 2.0, Sec. 5 (binary format), and the SIMD proposal's
 *   opcode table (fixed-width SIMD, merged into the 2.0 specification).
 */

/** Unsigned LEB128 (Sec. 5.2.2). */
export function unsigned(value: number): number[] {
  const bytes: number[] = [];
  let rest = value >>> 0;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest !== 0);
  return bytes;
}

/** Signed LEB128 (Sec. 5.2.2), for `i32.const` immediates. */
export function signed(value: number): number[] {
  const bytes: number[] = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

/** A vector: its length, then its items (Sec. 5.1.3). */
export const vector = (items: readonly (readonly number[])[]): number[] => [...unsigned(items.length), ...items.flat()];
/** A name: UTF-8 bytes as a vector. */
export const name = (text: string): number[] => vector([...new TextEncoder().encode(text)].map((byte) => [byte]));
/** A section: id, byte size, contents (Sec. 5.5.2). */
export const section = (id: number, contents: readonly number[]): number[] => [
  id,
  ...unsigned(contents.length),
  ...contents,
];

/** Value types (Sec. 5.3.1). */
export const I32 = 0x7f;
export const V128 = 0x7b;

/** The module preamble: magic `\0asm` and version 1. */
export const PREAMBLE = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** Section ids. */
export const SECTION = { type: 1, import: 2, function: 3, export: 7, code: 10 } as const;

/** Instructions, as their encodings (Sec. 5.4). Memory immediates are `align` (log2) and `offset`. */
export const op = {
  localGet: (index: number) => [0x20, ...unsigned(index)],
  localSet: (index: number) => [0x21, ...unsigned(index)],
  localTee: (index: number) => [0x22, ...unsigned(index)],
  i32Const: (value: number) => [0x41, ...signed(value)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32LtU: [0x49],
  /** `loop` with an empty block type; `br_if 0` inside it jumps back to its start. */
  loop: (body: readonly number[]) => [0x03, 0x40, ...body, 0x0b],
  brIf: (depth: number) => [0x0d, ...unsigned(depth)],
  f32Load: (offset = 0) => [0x2a, 2, ...unsigned(offset)],
  v128Load: (offset = 0) => [0xfd, ...unsigned(0x00), 4, ...unsigned(offset)],
  v128Store: (offset = 0) => [0xfd, ...unsigned(0x0b), 4, ...unsigned(offset)],
  v128Zero: [0xfd, ...unsigned(0x0c), ...new Array<number>(16).fill(0)],
  f32x4Splat: [0xfd, ...unsigned(0x13)],
  f32x4Add: [0xfd, ...unsigned(0xe4)],
  f32x4Mul: [0xfd, ...unsigned(0xe6)],
  end: [0x0b],
} as const;
