import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    setupFiles: ['./vitest.setup.ts'],
    // Generous: CI machines have 2 cores and tests must not fail for being slow; slow tests set their own.
    testTimeout: 180_000,
    pool: 'forks',
  },
});
