import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A base model folder with placeholder files, whose fingerprint follows `weights` (tests only). */
export function fakeBase(weights: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sentiment-base-'));
  for (const file of ['config.json', 'manifest.json', 'tokenizer.json']) writeFileSync(join(dir, file), '{}');
  writeFileSync(join(dir, 'weights.bin'), weights);
  return dir;
}
