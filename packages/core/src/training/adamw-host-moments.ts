import type { ParameterLayout } from '../parallel/parameter-layout.js';

/**
 * AdamW's moments m and v as two flat float32 buffers laid out by a {@link ParameterLayout}
 * (the gradient layout of a training step), in SharedArrayBuffers so that worker threads can
 * update their shards in place. While an {@link AdamWOptimizer} holds one, these buffers, not
 * its moment tensors, are the moments of the layout's variables (see
 * `AdamWOptimizer.hostMoments`).
 * @internal
 */
export class AdamWHostMoments {
  /** First moments, `layout.size` values. */
  readonly m: Float32Array;
  /** Second moments, `layout.size` values. */
  readonly v: Float32Array;
  private readonly offsets: ReadonlyMap<string, { offset: number; size: number }>;

  /** Zero moments over `layout`. */
  constructor(readonly layout: ParameterLayout) {
    this.m = new Float32Array(new SharedArrayBuffer(layout.size * 4));
    this.v = new Float32Array(new SharedArrayBuffer(layout.size * 4));
    this.offsets = new Map(layout.slots.map(({ name, offset, size }) => [name, { offset, size }]));
  }

  /** Whether `layout` has these buffers' variables, shapes and offsets. */
  matches(layout: ParameterLayout): boolean {
    return (
      layout === this.layout ||
      (layout.size === this.layout.size &&
        layout.slots.length === this.layout.slots.length &&
        layout.slots.every((slot, s) => {
          const own = this.layout.slots[s]!;
          return slot.name === own.name && slot.offset === own.offset && slot.shape.join() === own.shape.join();
        }))
    );
  }

  /** Views of variable `name`'s m and v, or undefined when the layout does not hold it. */
  of(name: string): { m: Float32Array; v: Float32Array } | undefined {
    const place = this.offsets.get(name);
    if (place === undefined) return undefined;
    const end = place.offset + place.size;
    return { m: this.m.subarray(place.offset, end), v: this.v.subarray(place.offset, end) };
  }
}
