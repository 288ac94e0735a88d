import type { BenchmarkResult, ReportTable } from '../harness/benchmark.js';
import { FLOP_FORMULAS } from './flops.js';
import { kernelProfileTable } from './kernel-profile.js';
import type { StepMeasurement } from './measure.js';
import type { PyTorchComparison } from './pytorch.js';
import type { ThroughputSizes } from './sizes.js';
import type { WorkerOutput } from './worker.js';
import { workerPhasesTable } from './phases-table.js';
import { workerMeasurements, workersTable } from './workers-table.js';

type Measured = Extract<WorkerOutput, { kind: 'measured' }>;

const round = (value: number, digits: number) => Number(value.toFixed(digits));
const perSecond = (m: StepMeasurement) => `${Math.round(m.unitsPerSecond).toLocaleString('en-US')} ${m.unit}/s`;

/** `DPO`, `SFT`, `PPO update`, `Diffusion-DPO, 16 pairs`: a step's name in plots. */
function shortLabel(m: StepMeasurement): string {
  if (m.step === 'diffusion-dpo') return `Diffusion-DPO, ${m.pairs} pairs`;
  if (m.step === 'ddpo') return 'DDPO update';
  return m.step === 'ppo' ? 'PPO update' : m.step.toUpperCase();
}

/** Whether any timed step leaked, as failure messages. */
export function leakFailures(outputs: readonly WorkerOutput[]): string[] {
  return outputs
    .filter((o): o is Measured => o.kind === 'measured')
    .filter((o) => o.measurement.leakedTensors.some((n) => n !== 0))
    .map(
      (o) =>
        `${o.measurement.label} on ${o.backend} leaked tensors per step: ${o.measurement.leakedTensors.join(', ')}`,
    );
}

function stepTable(outputs: readonly WorkerOutput[]): ReportTable {
  const rows: (string | number | null)[][] = [];
  for (const o of outputs) {
    if (o.kind === 'measured') {
      const m = o.measurement;
      const leaks = m.leakedTensors.length
        ? String(Math.max(...m.leakedTensors.map(Math.abs)))
        : 'not checked (1 step, no warm-up)';
      rows.push([
        m.label,
        o.backend,
        round(m.medianSeconds * 1000, 1),
        `${m.warmup} + ${m.stepSeconds.length}`,
        perSecond(m),
        m.pairsPerSecond === undefined ? null : round(m.pairsPerSecond, 1),
        round(m.gflops, 2),
        Math.round(o.peakRssMiB),
        leaks,
        o.loadAverage ? o.loadAverage.join(' -> ') : null,
      ]);
    } else if (o.kind === 'skipped') rows.push([o.step, o.backend, null, '0', o.reason, null, null, null, '-', null]);
    else if (o.kind === 'failed')
      rows.push([o.step, o.backend, null, '-', `failed: ${o.error}`, null, null, null, '-', null]);
  }
  return {
    title: 'Training step time per backend',
    columns: [
      'step',
      'backend',
      'ms / step (median)',
      'warm-up + timed',
      'throughput',
      'pairs/s',
      'GFLOP/s',
      'peak RSS (MiB)',
      'tensors leaked / step',
      'load average',
    ],
    rows,
    note:
      'Each (backend, step) runs in its own Node process (fresh tfjs engine, its own peak RSS). Times are medians after the warm-up steps; ' +
      'the load average (1 minute, before -> after) shows how busy the 2 cores were with other work. ' +
      'a step ends when its metrics are read back. Tokens count every position processed (DPO: 2 rows of the full context per pair; PPO: sampled tokens). ' +
      `FLOPs are analytic matmul counts: GPT forward ${FLOP_FORMULAS.gptForward}; SFT ${FLOP_FORMULAS.sft}; DPO ${FLOP_FORMULAS.dpo}; PPO ${FLOP_FORMULAS.ppo}; Diffusion-DPO ${FLOP_FORMULAS.diffusion}; DDPO ${FLOP_FORMULAS.ddpo}.`,
  };
}

function backendTable(outputs: readonly WorkerOutput[], backends: readonly string[]): ReportTable {
  return {
    title: 'Backends',
    columns: ['backend', 'status', 'detail'],
    rows: backends.map((backend) => {
      const mine = outputs.filter((o) => o.backend === backend);
      const unavailable = mine.find((o) => o.kind === 'unavailable');
      if (unavailable?.kind === 'unavailable') return [backend, 'unavailable', unavailable.reason];
      const measured = mine.find((o): o is Measured => o.kind === 'measured');
      const failed = mine.filter((o) => o.kind === 'failed').length;
      return [backend, failed ? `${failed} step(s) failed` : 'measured', measured?.backendDetail ?? '-'];
    }),
  };
}

function ppoTable(outputs: readonly WorkerOutput[]): ReportTable | undefined {
  const ppo = outputs.filter((o): o is Measured => o.kind === 'measured' && o.measurement.step === 'ppo');
  if (!ppo.length) return undefined;
  const phases = ['time/rollout', 'time/scoring', 'time/reference', 'time/policy_value', 'time/optimization'];
  return {
    title: 'PPO update phases (last timed update, seconds)',
    columns: ['backend', ...phases, 'rollout/tokens_per_second'],
    rows: ppo.map((o) => [
      o.backend,
      ...phases.map((key) =>
        o.measurement.lastMetrics[key] === undefined ? null : round(o.measurement.lastMetrics[key]!, 3),
      ),
      o.measurement.lastMetrics['rollout/tokens_per_second'] === undefined
        ? null
        : Math.round(o.measurement.lastMetrics['rollout/tokens_per_second']!),
    ]),
    note: "The trainer's own phase timers (rlhf's PPO_TIMING_METRIC_NAMES): sampling with the KV cache, reward, reference log-probs, policy and value forward, and the PPO epochs' AdamW steps.",
  };
}

function pytorchTable(
  pytorch: PyTorchComparison,
  wasmDpo: StepMeasurement | undefined,
  sizes: ThroughputSizes,
): ReportTable {
  const rows: (string | number | null)[][] = [];
  if (wasmDpo)
    rows.push([
      'dpo-ts, tfjs wasm',
      1,
      round(wasmDpo.medianSeconds, 3),
      round(sizes.dpoPairs / wasmDpo.medianSeconds, 1),
      round(wasmDpo.gflops, 2),
      '1.00',
    ]);
  if (pytorch.available) {
    for (const t of pytorch.timings) {
      const ratio = wasmDpo ? (wasmDpo.medianSeconds / t.medianSeconds).toFixed(2) : '-';
      rows.push([
        `PyTorch ${t.torch} (${t.blas.includes('openblas') ? 'OpenBLAS' : t.blas.includes('mkl') ? 'MKL' : 'reference BLAS'})`,
        t.threads,
        round(t.medianSeconds, 3),
        round(sizes.dpoPairs / t.medianSeconds, 1),
        wasmDpo ? round((wasmDpo.gflops * wasmDpo.medianSeconds) / t.medianSeconds, 2) : null,
        ratio,
      ]);
    }
  }
  return {
    title: `The same DPO step in PyTorch (${sizes.dpoPairs} pairs, GPT d ${sizes.gpt.dModel}, ${sizes.gpt.nLayer} layers, context ${sizes.gpt.contextLength})`,
    columns: ['implementation', 'threads', 's / step', 'pairs/s', 'GFLOP/s', 'dpo-ts wasm time / this time'],
    rows,
    note: pytorch.available
      ? `benchmarks/python/dpo_step.py: the same GPT-2-style model and step (policy forward + backward, frozen reference forward, sigmoid loss, clipping, AdamW), ${pytorch.python}. BLAS thread pools are pinned to the thread count.${pytorch.errors.length ? ` Errors: ${pytorch.errors.join('; ')}` : ''}`
      : `PyTorch not measured: ${pytorch.reason}. On Debian: apt-get install python3-torch libopenblas0-pthread (without OpenBLAS, Debian's torch uses the reference BLAS and runs ~15x slower).`,
  };
}

/** Findings in words from the measurements. */
function findings(outputs: readonly WorkerOutput[], pytorch: PyTorchComparison): string[] {
  const measured = outputs.filter((o): o is Measured => o.kind === 'measured');
  const find = (backend: string, step: string, pairs?: number) =>
    measured.find(
      (o) =>
        o.backend === backend && o.measurement.step === step && (pairs === undefined || o.measurement.pairs === pairs),
    )?.measurement;
  const lines: string[] = [];
  const wasmDpo = find('wasm', 'dpo');
  const cpuDpo = find('cpu', 'dpo');
  if (wasmDpo)
    lines.push(
      `DPO step on wasm: ${wasmDpo.medianSeconds.toFixed(2)} s (${wasmDpo.pairsPerSecond?.toFixed(1)} pairs/s, ${perSecond(wasmDpo)}, ${wasmDpo.gflops.toFixed(1)} GFLOP/s of matmuls).`,
    );
  if (wasmDpo && cpuDpo) {
    const same = cpuDpo.units === wasmDpo.units ? '' : ` (cpu measured at ${cpuDpo.pairs} pairs per step)`;
    lines.push(
      `cpu (pure JS) trains DPO ${(wasmDpo.unitsPerSecond / cpuDpo.unitsPerSecond).toFixed(0)}x slower than wasm per token${same}: ${perSecond(cpuDpo)} against ${perSecond(wasmDpo)}. Use it as the numerical reference only.`,
    );
  }
  const wasmSft = find('wasm', 'sft');
  if (wasmDpo && wasmSft)
    lines.push(
      `Per token, a DPO step costs ${(wasmDpo.medianSeconds / wasmDpo.units / (wasmSft.medianSeconds / wasmSft.units)).toFixed(2)}x an SFT step on wasm (analytically 4/3: the reference's forward pass on top of forward + backward).`,
    );
  if (pytorch.available) {
    for (const t of pytorch.timings)
      if (wasmDpo)
        lines.push(
          `PyTorch ${t.torch} on ${t.threads} thread(s) does the same DPO step in ${t.medianSeconds.toFixed(2)} s: dpo-ts on wasm (1 thread) takes ${(wasmDpo.medianSeconds / t.medianSeconds).toFixed(1)}x as long.`,
        );
  } else lines.push(`No PyTorch comparison: ${pytorch.reason}.`);
  const diffusion = measured
    .filter((o) => o.backend === 'wasm' && o.measurement.step === 'diffusion-dpo')
    .map((o) => o.measurement);
  if (diffusion.length >= 2) {
    const [small, large] = [diffusion[0]!, diffusion[diffusion.length - 1]!];
    lines.push(
      `Diffusion-DPO on wasm: ${small.pairsPerSecond?.toFixed(0)} pairs/s at batch ${small.pairs}, ${large.pairsPerSecond?.toFixed(0)} at batch ${large.pairs}: small steps are dominated by per-op overhead, so larger batches pay.`,
    );
  }
  for (const o of measured) {
    const profile = o.kernelProfile;
    if (!profile?.top.length) continue;
    const top = profile.top.slice(0, 3).map((k) => `${k.kernel} ${(k.share * 100).toFixed(0)}% (${k.calls} calls)`);
    lines.push(
      `Where one ${o.measurement.step.toUpperCase()} step's time goes on ${o.backend}: ${top.join(', ')}; all kernels ${((profile.kernelMs / profile.wallMs) * 100).toFixed(0)}% of the step.`,
    );
  }
  const leaks = leakFailures(outputs);
  const checked = measured.filter((o) => o.measurement.leakedTensors.length > 0).length;
  lines.push(
    leaks.length
      ? `Tensor leaks: ${leaks.join('; ')}.`
      : `No timed step leaked a tensor (${checked} step/backend combinations checked).`,
  );
  for (const o of outputs) if (o.kind === 'unavailable') lines.push(`${o.backend} was not measured: ${o.reason}`);
  return lines;
}

/** The benchmark's result from every worker's output and the PyTorch comparison. */
export function throughputResult(
  allOutputs: readonly WorkerOutput[],
  pytorch: PyTorchComparison,
  sizes: ThroughputSizes,
  backends: readonly string[],
  cores = 1,
): BenchmarkResult {
  // The 1-vs-N-workers measurements have their own table; every other table is per backend.
  const parallel = workerMeasurements(allOutputs);
  const outputs = allOutputs.filter((o) => !parallel.includes(o as never));
  const measured = outputs.filter((o): o is Measured => o.kind === 'measured');
  const wasmDpo = measured.find((o) => o.backend === 'wasm' && o.measurement.step === 'dpo')?.measurement;
  const profiled = measured.filter((o) => o.kernelProfile !== undefined);
  const profileTables = profiled.map((o) => kernelProfileTable(o.kernelProfile!, o.measurement.label, o.backend));
  const tables = [
    stepTable(outputs),
    pytorchTable(pytorch, wasmDpo, sizes),
    workersTable(parallel, pytorch, cores),
    workerPhasesTable(parallel),
    ppoTable(outputs),
    ...profileTables,
    backendTable(outputs, backends),
  ].filter((t): t is ReportTable => t !== undefined);
  const bars: { step: string; backend: string; gflops: number }[] = measured.map((o) => ({
    step: shortLabel(o.measurement),
    backend: o.backend,
    gflops: round(o.measurement.gflops, 3),
  }));
  if (pytorch.available)
    for (const t of pytorch.timings)
      if (wasmDpo)
        bars.push({
          step: shortLabel(wasmDpo),
          backend: `PyTorch, ${t.threads} thread(s)`,
          gflops: round((wasmDpo.gflops * wasmDpo.medianSeconds) / t.medianSeconds, 3),
        });
  const failed = outputs
    .filter((o) => o.kind === 'failed')
    .map((o) => (o.kind === 'failed' ? `${o.step} on ${o.backend} failed: ${o.error}` : ''));
  return {
    data: {
      sizes,
      backends,
      outputs: allOutputs,
      pytorch,
      flopFormulas: FLOP_FORMULAS,
      kernelProfiles: profiled.map((o) => ({ backend: o.backend, ...o.kernelProfile! })),
    },
    tables,
    plots: [
      {
        title: 'Achieved GFLOP/s (matmuls) per training step and backend',
        file: 'gflops.svg',
        spec: {
          $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
          data: { values: bars },
          width: 420,
          mark: 'bar',
          encoding: {
            y: { field: 'step', type: 'nominal', title: null, sort: null, axis: { labelLimit: 300 } },
            yOffset: { field: 'backend', type: 'nominal' },
            x: { field: 'gflops', type: 'quantitative', title: 'GFLOP/s (analytic matmul FLOPs / median step time)' },
            color: { field: 'backend', type: 'nominal', title: 'backend' },
          },
        },
      },
    ],
    images: [],
    findings: [...findings(outputs, pytorch), ...workerFindings(parallel)],
    failures: [...leakFailures(outputs), ...failed],
  };
}

/** One line per step of the workers table: N workers against 1, wall and CPU time. */
function workerFindings(parallel: readonly Measured[]): string[] {
  const lines: string[] = [];
  for (const o of parallel) {
    const m = o.measurement;
    if (m.workers === 1) continue;
    const base = parallel.find((b) => b.measurement.step === m.step && b.measurement.workers === 1)?.measurement;
    if (!base) continue;
    const cpu =
      m.cpuSecondsPerStep !== undefined && base.cpuSecondsPerStep !== undefined
        ? `; CPU time per step ${(base.cpuSecondsPerStep * 1000).toFixed(0)} -> ${(m.cpuSecondsPerStep * 1000).toFixed(0)} ms (${((m.cpuSecondsPerStep / base.cpuSecondsPerStep - 1) * 100).toFixed(0)}% parallel overhead)`
        : '';
    lines.push(
      `${shortLabel(m)} with ${m.workers} workers: ${(m.medianSeconds * 1000).toFixed(0)} ms/step against ${(base.medianSeconds * 1000).toFixed(0)} ms on 1 (${(base.medianSeconds / m.medianSeconds).toFixed(2)}x)${cpu}; load average ${o.loadAverage.join(' -> ')}.`,
    );
  }
  return lines;
}
