import type { BenchmarkMode } from './benchmark.js';
import type { RunEnvironment } from './environment.js';

/** A fixed run environment for report and publication tests (a 2-core wasm machine). */
export function testEnvironment(
  mode: BenchmarkMode,
  date = '2026-01-02T03:04:05.000Z',
  seeds: readonly number[] = [0, 1],
): RunEnvironment {
  return {
    node: 'v20.19.0',
    tfjs: '4.22.0',
    backend: { name: 'wasm', requested: 'auto', threads: 1, simd: true, overrides: ['BatchMatMul'] },
    cpu: 'Test CPU',
    cores: 2,
    memoryGiB: 8,
    platform: 'linux x64',
    loadAverage: [1, 1, 1],
    date,
    gitCommit: '0123456789abcdef',
    gitDirty: false,
    mode,
    seed: 0,
    seeds: [...seeds],
  };
}
