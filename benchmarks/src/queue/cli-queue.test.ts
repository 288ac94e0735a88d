import { describe, expect, it } from 'vitest';
import { buildProgram } from '../cli.js';
import { lossVariantsBenchmark } from '../loss-variants/index.js';
import { benchCellRunner } from './cli-queue.js';

describe('dpo-ts --queue options', () => {
  it('refuses a URL that is not redis:// or rediss://, naming the option', async () => {
    expect(() =>
      benchCellRunner({ url: 'http://host:6379', out: '/tmp/x', backend: 'cpu', benchmarks: [], log: () => {} }),
    ).toThrow('--queue must be a redis:// or rediss:// (TLS) URL: got "http://host:6379"');
    const program = buildProgram(
      [lossVariantsBenchmark],
      () => {},
      () => {},
    );
    await expect(program.parseAsync(['worker', '--queue', 'not a url'], { from: 'user' })).rejects.toThrow(
      '--queue must be a Redis URL such as redis://127.0.0.1:6379',
    );
  });

  it('requires --queue for a worker', async () => {
    const program = buildProgram(
      [lossVariantsBenchmark],
      () => {},
      () => {},
    );
    await expect(program.parseAsync(['worker'], { from: 'user' })).rejects.toThrow(/--queue <url>/);
  });
});
