/**
 * The run folder of the base-LM pretraining (outside git): `run.json` (the configuration the
 * first launch chose; later launches reuse it, so a restart needs no size flags),
 * `tokenizer.json`, `checkpoints/`, `progress.jsonl` and `wall-time.json`.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GPTConfigInput, SFTConfig } from '@dpo-ts/lm';

/** Everything that fixes the run: data, tokenizer, model and optimisation. */
export interface BaseRunConfig {
  readonly version: 1;
  /** Seed of the split, the model initialisation and the batch order. */
  readonly seed: number;
  /** Share of documents held out (by a hash of their id). */
  readonly heldOutFraction: number;
  /** Longest passage in characters (longer paragraphs are cut at sentence ends). */
  readonly maxPassageChars: number;
  /** Characters of held-out passages evaluated during training (per source). */
  readonly evalCharsPerSource: number;
  /** Target vocabulary of the byte-level BPE tokenizer (256 bytes + merges + 3 special). */
  readonly vocabSize: number;
  readonly model: Omit<GPTConfigInput, 'vocabSize'>;
  /**
   * Set when the run continues pretraining a saved base (`--init-from`): its folder, and the
   * steps, tokens and wall time it had behind it (the card adds them to this run's).
   */
  readonly initFrom?: {
    readonly dir: string;
    readonly steps: number;
    readonly tokensSeen: number;
    readonly wallTimeSeconds: number;
    /** The earlier stages of the chain, oldest first (from the saved base's `card.json`). */
    readonly stages?: readonly BaseTrainingStage[];
  };
  readonly training: SFTConfig;
}

/** One launch of a chain of pretraining runs (`--init-from` continues the previous one). */
export interface BaseTrainingStage {
  /** Optimizer steps of this stage alone. */
  readonly steps: number;
  /** Peak learning rate (warm-up, then cosine decay to 0 over `steps`). */
  readonly learningRate: number;
  readonly warmupSteps: number;
  /** Seed of the batch order (the split and initialisation keep the first stage's seed). */
  readonly seed: number;
  /** Held-out loss (nats/token) at the end of the stage. */
  readonly heldOutLoss: number;
}

export const RUN_CONFIG_FILE = 'run.json';
export const TOKENIZER_FILE = 'tokenizer.json';
export const CHECKPOINT_DIR = 'checkpoints';
export const PROGRESS_FILE = 'progress.jsonl';
export const WALL_TIME_FILE = 'wall-time.json';

/** Reads `run.json` from `runDir`, or undefined when the run has not started. */
export async function readRunConfig(runDir: string): Promise<BaseRunConfig | undefined> {
  try {
    return JSON.parse(await readFile(join(runDir, RUN_CONFIG_FILE), 'utf8')) as BaseRunConfig;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function writeRunConfig(runDir: string, config: BaseRunConfig): Promise<void> {
  await mkdir(runDir, { recursive: true });
  await writeFile(join(runDir, RUN_CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
}

/** Wall time of every launch so far (seconds), including work redone after a restart. */
export interface WallTime {
  readonly seconds: number;
  readonly launches: number;
  readonly lastStep: number;
}

export async function readWallTime(runDir: string): Promise<WallTime> {
  try {
    return JSON.parse(await readFile(join(runDir, WALL_TIME_FILE), 'utf8')) as WallTime;
  } catch {
    return { seconds: 0, launches: 0, lastStep: 0 };
  }
}

/**
 * Writes `wall-time.json` atomically (a temporary file, then a rename), synchronously: a
 * training step awaits only settled promises, so an asynchronous write would wait for the next
 * checkpoint's I/O to make progress.
 */
export function writeWallTime(runDir: string, wall: WallTime): void {
  const path = join(runDir, WALL_TIME_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(wall)}\n`);
  renameSync(`${path}.tmp`, path);
}
