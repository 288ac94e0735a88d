import { I32, PREAMBLE, SECTION, name, op, section, unsigned, vector } from './wasm-encoding.js';

/** Rows and columns of each block the kernel moves at once: both dimensions must be multiples. */
export const TRANSPOSE_BLOCK = 4;

/** The kernel's exported function, as JavaScript sees it. Pointers are in bytes. */
export type TransposeFunction = (source: number, target: number, batch: number, rows: number, columns: number) => void;

// Parameters, then i32 locals.
const [SOURCE, TARGET, BATCH, ROWS, COLUMNS] = [0, 1, 2, 3, 4];
const PARAMETERS = 5;
const LOCALS = [
  'rows4',
  'columns4',
  'sourceRowStep',
  'targetRowStep',
  'sourceRow',
  'targetRow',
  'row',
  'column',
  'from',
  'to',
] as const;
const local = Object.fromEntries(LOCALS.map((key, i) => [key, PARAMETERS + i])) as Record<
  (typeof LOCALS)[number],
  number
>;
const { localGet: get, localSet: set, localTee: tee, i32Const: constant } = op;

/** f32.store with the default alignment (2) and a constant offset. */
const f32Store = (offset: number) => [0x38, 2, ...unsigned(offset)];

/**
 * One 4 x 4 block: element (r, c) of the source block, at `from + r * columns4 + 4c`, goes to
 * `to + c * rows4 + 4r`. Row and column multiples of the strides are added at run time, the
 * within-row offsets are constant memory offsets.
 */
const block = [0, 1, 2, 3].flatMap((r) =>
  [0, 1, 2, 3].flatMap((c) => [
    // address: to + c * rows4
    ...get(local.to),
    ...(c === 0 ? [] : [...get(local.rows4), ...constant(c), ...op.i32Mul, ...op.i32Add]),
    // value: f32 at from + r * columns4 + 4c
    ...get(local.from),
    ...(r === 0 ? [] : [...get(local.columns4), ...constant(r), ...op.i32Mul, ...op.i32Add]),
    ...op.f32Load(4 * c),
    ...f32Store(4 * r),
  ]),
);

const body = [
  ...get(ROWS),
  ...constant(4),
  ...op.i32Mul,
  ...set(local.rows4),
  ...get(COLUMNS),
  ...constant(4),
  ...op.i32Mul,
  ...set(local.columns4),
  // next block row of the source: 4 rows down; of the target: 4 floats right
  ...get(local.columns4),
  ...constant(TRANSPOSE_BLOCK),
  ...op.i32Mul,
  ...set(local.sourceRowStep),
  ...get(local.rows4),
  ...constant(TRANSPOSE_BLOCK),
  ...op.i32Mul,
  ...set(local.targetRowStep),
  ...op.loop([
    ...get(SOURCE),
    ...set(local.sourceRow),
    ...get(TARGET),
    ...set(local.targetRow),
    ...constant(0),
    ...set(local.row),
    ...op.loop([
      ...get(local.sourceRow),
      ...set(local.from),
      ...get(local.targetRow),
      ...set(local.to),
      ...constant(0),
      ...set(local.column),
      ...op.loop([
        ...block,
        // from += 4 floats; to += 4 target rows; column += 4 while column < columns
        ...get(local.from),
        ...constant(4 * TRANSPOSE_BLOCK),
        ...op.i32Add,
        ...set(local.from),
        ...get(local.to),
        ...get(local.targetRowStep),
        ...op.i32Add,
        ...set(local.to),
        ...get(local.column),
        ...constant(TRANSPOSE_BLOCK),
        ...op.i32Add,
        ...tee(local.column),
        ...get(COLUMNS),
        ...op.i32LtU,
        ...op.brIf(0),
      ]),
      ...get(local.sourceRow),
      ...get(local.sourceRowStep),
      ...op.i32Add,
      ...set(local.sourceRow),
      ...get(local.targetRow),
      ...constant(4 * TRANSPOSE_BLOCK),
      ...op.i32Add,
      ...set(local.targetRow),
      ...get(local.row),
      ...constant(TRANSPOSE_BLOCK),
      ...op.i32Add,
      ...tee(local.row),
      ...get(ROWS),
      ...op.i32LtU,
      ...op.brIf(0),
    ]),
    // next matrix: rows * columns floats further in both
    ...get(SOURCE),
    ...get(local.rows4),
    ...get(COLUMNS),
    ...op.i32Mul,
    ...op.i32Add,
    ...set(SOURCE),
    ...get(TARGET),
    ...get(local.rows4),
    ...get(COLUMNS),
    ...op.i32Mul,
    ...op.i32Add,
    ...set(TARGET),
    ...get(BATCH),
    ...constant(1),
    ...op.i32Sub,
    ...tee(BATCH),
    ...op.brIf(0),
  ]),
  ...op.end,
];

/**
 * The bytes of a WebAssembly module that exports `transpose(source, target, batch, rows,
 * columns)` over the memory it imports as `env.memory`: for each of `batch` row-major float32
 * `[rows, columns]` matrices at `source` (one after another), writes its `[columns, rows]`
 * transpose at `target` (likewise). Requires batch >= 1 and rows, columns positive multiples of
 * 4. Works in 4 x 4 blocks, so both the reads and the writes stay within a few cache lines at a
 * time (a row-by-row transpose writes one float per cache line). Exact: it only moves bits.
 */
export function simdTransposeModule(): Uint8Array {
  const signature = [0x60, ...vector(new Array<number[]>(PARAMETERS).fill([I32])), ...vector([])];
  const code = [...vector([[...unsigned(LOCALS.length), I32]]), ...body];
  return new Uint8Array([
    ...PREAMBLE,
    ...section(SECTION.type, vector([signature])),
    ...section(SECTION.import, vector([[...name('env'), ...name('memory'), 0x02, 0x00, ...unsigned(1)]])),
    ...section(SECTION.function, vector([unsigned(0)])),
    ...section(SECTION.export, vector([[...name('transpose'), 0x00, ...unsigned(0)]])),
    ...section(SECTION.code, vector([[...unsigned(code.length), ...code]])),
  ]);
}
