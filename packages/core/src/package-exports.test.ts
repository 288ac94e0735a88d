import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { preferenceTaskSpec } from './preference/preference-task.js';

// The public surface as a user's `import` sees it: every entry of package.json "exports",
// imported by the package name (so through the exports map and the built dist/, not src/).
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, string | { types: string; import: string; require: string }>;
};

/** One symbol each entry must export: a moved or dropped entry fails here. */
const KNOWN_SYMBOL: Record<string, string> = {
  '.': 'computePreferenceLoss',
  './training': 'runTrainingLoop',
  './preference': 'PreferenceTrainer',
  './data': 'loadPreferenceJsonl',
  './backend': 'selectBackend',
  './io': 'saveNamedWeights',
  './parallel': 'GradientWorkerPool',
  './testing': 'expectNoLeak',
};

/** The main entry stays small: scores, losses, metrics, errors (303 runtime values before the split). */
const MAIN_RUNTIME_EXPORTS_LIMIT = 65;

/** Entries that can train or select a backend, so importing only them must register tfjs's gradients. */
const REGISTERING_ENTRIES = ['.', './training', './preference', './backend', './parallel', './testing'];
/** Of those, the ones checked in a fresh Node process (about a second each); the rest by their import line. */
const FRESH_PROCESS_ENTRIES = ['./training', './backend', './parallel'];

const specifier = (key: string): string => (key === '.' ? '@dpo-ts/core' : `@dpo-ts/core/${key.slice(2)}`);
const moduleEntries = Object.entries(manifest.exports).filter(([, value]) => typeof value === 'object');

describe('package exports', () => {
  it('lists exactly the documented entries, each with types, import and the ESM-only require', () => {
    expect(moduleEntries.map(([key]) => key).sort()).toEqual(Object.keys(KNOWN_SYMBOL).sort());
    for (const [key, value] of moduleEntries) {
      const sub = key === '.' ? '' : `${key.slice(2)}/`;
      expect(value).toEqual({
        types: `./dist/${sub}index.d.ts`,
        import: `./dist/${sub}index.js`,
        require: './esm-only.cjs',
      });
    }
  });

  it('imports every entry by the package name, with its known symbol', async () => {
    for (const [key, symbol] of Object.entries(KNOWN_SYMBOL)) {
      const entry = (await import(specifier(key))) as Record<string, unknown>;
      expect(entry[symbol], `${specifier(key)} exports ${symbol}`).toBeTypeOf('function');
    }
  });

  it('keeps the main entry under the limit, and exports each runtime value from one entry only', async () => {
    const main = (await import('@dpo-ts/core')) as Record<string, unknown>;
    expect(Object.keys(main).length).toBeLessThanOrEqual(MAIN_RUNTIME_EXPORTS_LIMIT);
    const owner = new Map<string, string>();
    for (const key of Object.keys(KNOWN_SYMBOL)) {
      for (const name of Object.keys((await import(specifier(key))) as object)) {
        expect(owner.get(name), `${name} in both ${owner.get(name)} and ${specifier(key)}`).toBeUndefined();
        owner.set(name, specifier(key));
      }
    }
  });

  it('answers require() of every entry with the ESM-only error', () => {
    const require = createRequire(import.meta.url);
    for (const key of Object.keys(KNOWN_SYMBOL)) {
      expect(() => require(specifier(key))).toThrow(expect.objectContaining({ code: 'ERR_REQUIRE_ESM' }));
    }
  });

  it('resolves the preference task spec a worker imports', async () => {
    const spec = preferenceTaskSpec({} as Parameters<typeof preferenceTaskSpec>[0]);
    const entry = (await import(spec.module)) as Record<string, unknown>;
    expect(entry[spec.export]).toBeTypeOf('function');
  });

  it('imports the gradient registration in every entry that can train', () => {
    for (const key of REGISTERING_ENTRIES) {
      const entry = manifest.exports[key] as { import: string };
      const source = readFileSync(new URL(`../${entry.import}`, import.meta.url), 'utf8');
      const registration =
        key === '.' ? "import './register-all-gradients.js';" : "import '../register-all-gradients.js';";
      expect(source, `${specifier(key)} registers gradients`).toContain(registration);
    }
  });

  it('registers tfjs-core gradients when only one training entry is imported (fresh process)', async () => {
    // A fresh Node process per entry: the test process already registered them (vitest.setup.ts).
    const run = promisify(execFile);
    const results = await Promise.all(
      FRESH_PROCESS_ENTRIES.map(async (key) => {
        const script =
          `await import('${specifier(key)}'); const tf = await import('@tensorflow/tfjs-core');` +
          `process.stdout.write(String(tf.getGradient('Exp') !== undefined && tf.getGradient('BatchMatMul') !== undefined));`;
        const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
          cwd: new URL('..', import.meta.url),
        });
        return [key, stdout] as const;
      }),
    );
    expect(Object.fromEntries(results)).toEqual(Object.fromEntries(FRESH_PROCESS_ENTRIES.map((key) => [key, 'true'])));
  });

  it('leaves gradients unregistered for data and io (a control for the check above)', async () => {
    const run = promisify(execFile);
    const script =
      "await import('@dpo-ts/core/data'); await import('@dpo-ts/core/io'); const tf = await import('@tensorflow/tfjs-core');" +
      "process.stdout.write(String(tf.getGradient('Exp') !== undefined));";
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: new URL('..', import.meta.url),
    });
    expect(stdout).toBe('false');
  });
});
