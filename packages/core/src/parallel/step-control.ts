// The shared state of one GradientWorkerPool call: which worker computes which micro-batch, and
// how far the ordered gradient sum has got. Internal to the pool and its workers.
import { addOrdered } from './ordered-gradient-sum.js';
import type { ParameterLayout } from './parameter-layout.js';

/** Int32 index of the number of micro-batches summed so far (the next one to add). */
const ADDED = 0;
/** Int32 index of the next micro-batch to hand out. */
const NEXT = 1;
/** Fixed fields before the per-micro-batch ones. */
const HEADER = 2;

/** A micro-batch's state: claimed (being computed), its gradient in a slot, being added, added. */
const CLAIMED = 1;
const READY = 2;
const ADDING = 3;
const ADDED_STATE = 4;

/** Where a worker's gradient slots are, seen from any thread of the pool. @internal */
export interface SlotTable {
  /** `values[worker][slot]`: a gradient laid out by the pool's trainable layout. */
  readonly values: readonly (readonly Float32Array[])[];
  /** `hasGradient[worker][slot]`: per layout slot, 1 when that gradient is present. */
  readonly hasGradient: readonly (readonly Int32Array[])[];
}

/**
 * One call's control block in a SharedArrayBuffer, read and written with `Atomics` by the main
 * thread and every worker:
 *
 *   [added, next, state[n], location[n], present[L]]   (Int32, n micro-batches, L layout slots)
 *
 * Workers take micro-batches dynamically (`claim`: next++), so a worker slowed by the machine's
 * other load takes fewer; each gradient goes to one of its worker's slots (`location`), and the
 * sum over micro-batches is built strictly in micro-batch order 0, 1, ..., n-1 by whichever
 * worker holds the next ready gradient (`drain`), into a shared float32 buffer. The arithmetic
 * and its order are those of {@link OrderedGradientSum}, so the result does not depend on which
 * worker computed or added what: bit for bit the main thread's sum.
 *
 * Ordering: a producer writes its gradient, then stores READY, then reads `added`; an adder
 * stores `added`, then compare-exchanges the next state READY -> ADDING. Atomics are sequentially
 * consistent, so at least one of the two sees the other's store: every ready gradient is added,
 * exactly once (the exchange), and the plain writes to the slots and the sum happen before the
 * atomic that publishes them.
 * @internal
 */
export class StepControl {
  /** The Int32 view of the control block. */
  readonly cells: Int32Array;

  /**
   * A view of `buffer` (from {@link StepControl.allocate}) for a call of `microBatches`
   * micro-batches over a layout of `layoutSlots` variables.
   */
  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly microBatches: number,
    readonly layoutSlots: number,
  ) {
    this.cells = new Int32Array(buffer);
  }

  /** A zeroed control block (nothing claimed, nothing added). */
  static allocate(microBatches: number, layoutSlots: number): StepControl {
    return new StepControl(
      new SharedArrayBuffer((HEADER + 2 * microBatches + layoutSlots) * 4),
      microBatches,
      layoutSlots,
    );
  }

  /** Micro-batches summed so far. */
  added(): number {
    return Atomics.load(this.cells, ADDED);
  }

  /** Hands out the next micro-batch, or -1 when all are taken. */
  claim(): number {
    const k = Atomics.add(this.cells, NEXT, 1);
    return k < this.microBatches ? k : -1;
  }

  /** Records that micro-batch `k` is computed by `worker` into its slot `slot`. */
  setLocation(k: number, worker: number, slot: number, slotsPerWorker: number): void {
    Atomics.store(this.cells, HEADER + this.microBatches + k, worker * slotsPerWorker + slot + 1);
    Atomics.store(this.cells, HEADER + k, CLAIMED);
  }

  /** The worker computing micro-batch `k` (claimed, gradient not yet ready), or undefined. */
  computingWorker(k: number, slotsPerWorker: number): number | undefined {
    if (Atomics.load(this.cells, HEADER + k) !== CLAIMED) return undefined;
    return Math.floor((Atomics.load(this.cells, HEADER + this.microBatches + k) - 1) / slotsPerWorker);
  }

  /** Publishes micro-batch `k`'s gradient (already written to its slot) to the adders. */
  markReady(k: number): void {
    Atomics.store(this.cells, HEADER + k, READY);
  }

  /**
   * Adds every ready gradient that is next in order to `sum`, until the next one is not ready
   * (its producer, or the worker that makes it next, adds it then). Wakes threads waiting on
   * `added` after each.
   * @returns seconds spent adding.
   */
  drain(layout: ParameterLayout, sum: Float32Array, slots: SlotTable, slotsPerWorker: number, divisor: number): number {
    const started = performance.now();
    const { cells, microBatches } = this;
    const present = new Int32Array(this.buffer, (HEADER + 2 * microBatches) * 4, this.layoutSlots);
    for (;;) {
      const k = Atomics.load(cells, ADDED);
      if (k >= microBatches || Atomics.compareExchange(cells, HEADER + k, READY, ADDING) !== READY) break;
      const location = Atomics.load(cells, HEADER + microBatches + k) - 1;
      const worker = Math.floor(location / slotsPerWorker);
      const slot = location % slotsPerWorker;
      addOrdered(layout, sum, present, slots.values[worker]![slot]!, slots.hasGradient[worker]![slot]!, divisor);
      Atomics.store(cells, HEADER + k, ADDED_STATE);
      Atomics.store(cells, ADDED, k + 1);
      Atomics.notify(cells, ADDED);
    }
    return (performance.now() - started) / 1000;
  }

  /**
   * Blocks (worker threads only) until `added` differs from `seen`, or 100 ms pass: the caller
   * re-checks in a loop, and the bound keeps a wait from outliving a pool that is shutting down.
   */
  waitForAdded(seen: number): void {
    Atomics.wait(this.cells, ADDED, seen, 100);
  }

  /** Per layout slot, whether the sum holds a gradient for it (after the last add). */
  present(): Int32Array {
    return new Int32Array(this.buffer, (HEADER + 2 * this.microBatches) * 4, this.layoutSlots);
  }
}
