import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFormatError } from '../errors/data-format-error.js';
import { FUZZ_READERS, JsonlFuzzer, type FuzzCase } from './jsonl-fuzz.test-helper.js';
import type { JsonlReadOptions } from './jsonl-reader.js';
import { loadPreferenceJsonl } from './preference-jsonl-reader.js';
import { CONVERSATIONAL_PREFERENCE_SCHEMA } from './preference-record.js';
import { loadPromptJsonl } from './prompt-jsonl.js';
import { loadTextJsonl } from './text-jsonl.js';

const CASES_PER_READER = 300;
// Another seed: DPO_TS_FUZZ_SEED=7 npx vitest run src/data/jsonl-fuzz.test.ts
const SEED = Number(process.env.DPO_TS_FUZZ_SEED ?? 20261202);
const directory = mkdtempSync(join(tmpdir(), 'dpo-ts-jsonl-fuzz-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const LOADERS: Record<FuzzCase['reader'], (path: string, options: JsonlReadOptions) => Promise<unknown[]>> = {
  preference: (path, options) => loadPreferenceJsonl(path, undefined, options),
  conversational: (path, options) => loadPreferenceJsonl(path, CONVERSATIONAL_PREFERENCE_SCHEMA, options),
  prompt: (path, options) => loadPromptJsonl(path, undefined, options),
  text: (path, options) => loadTextJsonl(path, undefined, options),
};

describe('JSONL readers under a seeded fuzz', () => {
  it(`every one of ${CASES_PER_READER * FUZZ_READERS.length} hostile inputs loads as intended or fails with a DataFormatError at the intended line`, async () => {
    const fuzzer = new JsonlFuzzer(SEED);
    const counts = { inputs: 0, loaded: 0, errors: 0 };
    const kinds = new Map<string, number>();
    const failures: string[] = [];
    for (let i = 0; i < CASES_PER_READER; i++) {
      for (const reader of FUZZ_READERS) {
        const fuzz = fuzzer.next(reader);
        const path = join(directory, `case-${counts.inputs}.jsonl`);
        writeFileSync(path, fuzz.bytes);
        counts.inputs += 1;
        fuzz.kinds.forEach((kind) => {
          kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        });
        const outcome = await LOADERS[reader](path, fuzz.options).then(
          (records) => ({ records }),
          (error: unknown) => ({ error }),
        );
        const describe = `case ${counts.inputs - 1} (${reader}; ${fuzz.kinds.join(', ') || 'clean'})`;
        if ('records' in fuzz.expected) {
          counts.loaded += 1;
          if ('error' in outcome)
            failures.push(
              `${describe}: expected ${fuzz.expected.records.length} records, got ${String(outcome.error)}`,
            );
          else if (!equal(outcome.records, fuzz.expected.records))
            failures.push(`${describe}: records differ from the generator's`);
        } else {
          counts.errors += 1;
          const error = 'error' in outcome ? outcome.error : undefined;
          if (!(error instanceof DataFormatError))
            failures.push(
              `${describe}: expected a DataFormatError at line ${fuzz.expected.errorLine}, got ${'records' in outcome ? `${outcome.records.length} records` : String(error)}`,
            );
          else if (error.file !== path || error.line !== fuzz.expected.errorLine)
            failures.push(
              `${describe}: error at ${error.file}:${error.line}, expected line ${fuzz.expected.errorLine}: ${error.message.slice(0, 200)}`,
            );
          // biome-ignore lint/suspicious/noControlCharactersInRegex: asserts that no raw control character reaches the error message
          else if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(error.message))
            failures.push(`${describe}: raw control character in ${JSON.stringify(error.message.slice(0, 200))}`);
        }
      }
      if (failures.length >= 5) break;
    }
    expect(failures).toEqual([]);
    expect(counts.inputs).toBeGreaterThanOrEqual(1000);
    // The generator covers both outcomes and every kind of damage in earnest.
    expect(counts.loaded).toBeGreaterThan(200);
    expect(counts.errors).toBeGreaterThan(400);
    for (const kind of [
      'truncated',
      'invalid-utf8',
      'missing-field',
      'mistyped-field',
      'raw-control',
      'not-object',
      'not-json',
      'mid-file-bom',
      'bom',
      'crlf',
      'cr-only',
      'cr-as-whitespace',
      'over-max-line-bytes',
      'empty',
      'huge-line',
      'deep-nesting',
      'nul',
    ]) {
      expect(kinds.get(kind) ?? 0, kind).toBeGreaterThan(10);
    }
    console.info(
      `JSONL fuzz (seed ${SEED}): ${counts.inputs} inputs, ${counts.loaded} loaded as intended, ${counts.errors} clear DataFormatErrors at the intended line; kinds ${JSON.stringify(Object.fromEntries([...kinds].sort()))}`,
    );
  }, 30_000);
});

/** Deep equality without recursion limits for the 200-deep extras (vitest's is fine too, but slower). */
function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
