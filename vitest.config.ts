import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The one vitest config of the repository: a project per package. From the root,
// `npx vitest run` runs every project; each package's `test` script picks its own with
// `--project <name>` (vitest finds this file from any package directory), and
// `cd packages/x && npx vitest run src/file.test.ts` still runs just that file.
const at = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const LIBRARIES = ['core', 'lm', 'diffusion', 'reward', 'rlhf', 'cli'] as const;

export default defineConfig({
  test: {
    // Generous: CI machines have 2 cores and tests must not fail for being slow; slow tests set their own.
    testTimeout: 180_000,
    // Setup hooks (beforeAll building models or data) get the same margin: a loaded 2-core machine
    // timed out a 10 s default on work that takes ~1 s quiet.
    hookTimeout: 180_000,
    pool: 'forks',
    projects: [
      // Library tests run on tfjs's cpu backend (see vitest.setup.ts).
      ...LIBRARIES.map((name) => ({
        extends: true as const,
        test: { name, root: at(`./packages/${name}`), setupFiles: [at('./vitest.setup.ts')] },
      })),
      { extends: true as const, test: { name: 'queue', root: at('./packages/queue') } },
      { extends: true as const, test: { name: 'benchmarks', root: at('./benchmarks') } },
      { extends: true as const, test: { name: 'scripts', root: at('./scripts'), include: ['**/*.test.mjs'] } },
    ],
  },
});
