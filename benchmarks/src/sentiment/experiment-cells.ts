import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '@dpo-ts/core';
import { sha256Hex } from '@dpo-ts/core/training';
import { BASE_MODEL_DIR, type GPT, loadBaseModel, loadSentimentSentences, type Tokenizer } from '@dpo-ts/lm';
import type { CellContext } from '../harness/cells.js';
import type { SentimentExperimentConfig } from './experiment-config.js';
import { prepareSeed, type SeedBaseline, type SeedPreparation } from './experiment-seed.js';
import { experimentMethods } from './method-registry.js';
import { englishDictionary } from './quality-guards.js';
import { runSettingCell, type SettingResult } from './setting-cell.js';

/** The files of a base model folder its fingerprint covers (weights, architecture, tokenizer). */
const BASE_FILES = ['config.json', 'manifest.json', 'weights.bin', 'tokenizer.json'] as const;

/**
 * One cell of the sentiment experiment (JSON): a seed's preparation (`setting` null: labeler,
 * SFT stage, pairs, SFT measured, levers) or one (method, setting, seed). Its job key hashes all
 * of it, so a change of config or of the base's weights recomputes the cell.
 */
export interface SentimentCell {
  /** The seed: it redraws the split, prompts, SFT stage, labeler, pairs, training and sampling. */
  readonly seed: number;
  /** Method row name (`DPO beta 0.1`), or null for the seed's preparation. */
  readonly method: string | null;
  /** The sweep setting's label (`lr 0.0001, beta 0.1`), or null for the preparation. */
  readonly setting: string | null;
  /** The mode's whole config (so the job key covers every size and sweep). */
  readonly config: SentimentExperimentConfig;
  /** The base: its folder (null: {@link defaultBaseModelDir} where the cell runs) and the SHA-256 of its files. */
  readonly base: { readonly dir: string | null; readonly sha256: string };
}

/** A cell's result: the seed's baseline, or one setting's measurement. */
export type SentimentCellResult = (
  | { readonly kind: 'seed'; readonly baseline: SeedBaseline }
  | { readonly kind: 'setting'; readonly result: SettingResult }
) & {
  /** Wall seconds of the cell in its process (a seed's preparation counts in the first cell that needed it). */
  readonly wallSeconds: number;
  /** CPU seconds of its process meanwhile (close to wall on a quiet machine: wasm runs one thread). */
  readonly cpuSeconds: number;
};

/** Where the pretrained base is read from unless a run says otherwise: `DPO_TS_SENTIMENT_BASE`, else lm's `base-en`. */
export function defaultBaseModelDir(): string {
  return process.env.DPO_TS_SENTIMENT_BASE ?? BASE_MODEL_DIR;
}

/** SHA-256 of a base folder's weights, architecture and tokenizer files (one hash over their hashes). */
export function baseModelFingerprint(dir: string): string {
  return sha256Hex(BASE_FILES.map((file) => `${file}:${sha256Hex(readFileSync(join(dir, file)))}`).join('\n'));
}

/**
 * Checks a cell payload from the queue: the seed, a known method and setting of the config's
 * registry, and the base fingerprint.
 * @throws InvalidArgumentError naming the bad field.
 */
export function validateSentimentCell(payload: unknown): SentimentCell {
  const cell = payload as Partial<SentimentCell> | null;
  if (cell === null || typeof cell !== 'object') throw new InvalidArgumentError('cell', 'an object', payload);
  if (!Number.isInteger(cell.seed) || (cell.seed as number) < 0)
    throw new InvalidArgumentError('cell.seed', 'an integer >= 0', cell.seed);
  if (cell.config === null || typeof cell.config !== 'object' || typeof cell.config.methods !== 'object')
    throw new InvalidArgumentError('cell.config', 'a sentiment experiment config', cell.config);
  if (typeof cell.base?.sha256 !== 'string' || !(cell.base.dir === null || typeof cell.base.dir === 'string'))
    throw new InvalidArgumentError('cell.base', '{ dir: string | null, sha256: string }', cell.base);
  if (cell.method === null && cell.setting === null) return cell as SentimentCell;
  const method = experimentMethods(cell.config).find((row) => row.name === cell.method);
  if (method === undefined) throw new InvalidArgumentError('cell.method', 'a method row of the config', cell.method);
  if (!method.sweep.some((setting) => setting.label === cell.setting))
    throw new InvalidArgumentError('cell.setting', `a setting of ${method.name}'s sweep`, cell.setting);
  return cell as SentimentCell;
}

interface LoadedShared {
  readonly key: string;
  readonly pretrained: GPT;
  readonly tokenizer: Tokenizer;
  readonly sentences: Awaited<ReturnType<typeof loadSentimentSentences>>;
  readonly dictionary: ReadonlySet<string>;
}

let loadedBase: LoadedShared | undefined;
/** Prepared seeds, most recent last; a few are kept so that a worker switching seeds does not redo them. */
const preparations: { key: string; prepared: Promise<SeedPreparation> }[] = [];
const KEPT_PREPARATIONS = 2;

async function sharedInputs(cell: SentimentCell): Promise<LoadedShared> {
  const dir = cell.base.dir ?? defaultBaseModelDir();
  const key = `${dir}\n${cell.base.sha256}`;
  if (loadedBase?.key === key) return loadedBase;
  const found = baseModelFingerprint(dir);
  if (found !== cell.base.sha256)
    throw new InvalidArgumentError('cell.base.sha256', `the fingerprint of ${dir} here (${found})`, cell.base.sha256);
  await releaseSentimentCells();
  const base = await loadBaseModel(dir);
  loadedBase = {
    key,
    pretrained: base.model,
    tokenizer: base.tokenizer,
    sentences: await loadSentimentSentences(),
    dictionary: englishDictionary(),
  };
  return loadedBase;
}

/**
 * Runs one cell here. A seed is prepared once per process and kept for the next cells of the
 * same seed (the preparation is deterministic, so a cell prepared in another process sees the
 * same SFT model and pairs); {@link releaseSentimentCells} frees what is kept.
 */
export async function runSentimentCell(cell: SentimentCell, context: CellContext): Promise<SentimentCellResult> {
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const timed = <T>(result: T) => {
    const cpu = process.cpuUsage(cpuAtStart);
    return { ...result, wallSeconds: (performance.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  };
  const shared = await sharedInputs(cell);
  const key = JSON.stringify({ seed: cell.seed, config: cell.config });
  let entry = preparations.find((candidate) => candidate.key === key);
  if (entry === undefined) {
    const prepared = prepareSeed(
      { ...shared, config: cell.config, log: context.log, signal: context.signal },
      cell.seed,
    );
    entry = { key, prepared };
    preparations.push(entry);
    prepared.catch(() => undefined);
    while (preparations.length > KEPT_PREPARATIONS) await disposePreparation(preparations.shift()!);
  }
  let prepared: SeedPreparation;
  try {
    prepared = await entry.prepared;
  } catch (error) {
    preparations.splice(preparations.indexOf(entry), 1);
    throw error;
  }
  if (cell.method === null) return timed({ kind: 'seed' as const, baseline: prepared.baseline });
  const method = experimentMethods(cell.config).find((row) => row.name === cell.method)!;
  const setting = method.sweep.find((candidate) => candidate.label === cell.setting)!;
  const result = await runSettingCell(prepared, method, setting, context.log, context.signal);
  return timed({ kind: 'setting' as const, result });
}

/** Frees every kept seed preparation and the loaded base (after a run, or before another base). */
export async function releaseSentimentCells(): Promise<void> {
  for (const entry of preparations.splice(0)) await disposePreparation(entry);
  loadedBase?.pretrained.dispose();
  loadedBase = undefined;
}

async function disposePreparation(entry: { readonly prepared: Promise<SeedPreparation> }): Promise<void> {
  try {
    (await entry.prepared).dispose();
  } catch {
    // A preparation that failed holds nothing: its own error path freed what it made.
  }
}
