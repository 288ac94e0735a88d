import type { Benchmark } from './benchmark.js';

/**
 * The benchmarks to run: all of `registry` in its order when `names` is empty, else the named
 * ones in the order given (each once).
 * @throws Error naming the unknown benchmark and listing the known ones.
 */
export function selectBenchmarks(registry: readonly Benchmark[], names: readonly string[]): Benchmark[] {
  if (names.length === 0) return [...registry];
  const selected: Benchmark[] = [];
  for (const name of names) {
    const benchmark = registry.find((candidate) => candidate.name === name);
    if (!benchmark) throw new Error(`unknown benchmark "${name}": known are ${registry.map((b) => b.name).join(', ')}`);
    if (!selected.includes(benchmark)) selected.push(benchmark);
  }
  return selected;
}
