import { describe, expect, it } from 'vitest';
import { baseFinding } from './report-tables.js';

describe('baseFinding', () => {
  it('names the path, step and id of a base chosen by DPO_TS_T2I_BASE', () => {
    expect(
      baseFinding({ kind: 'saved-model', step: 2000, source: '/tmp/interim', id: 'saved-model:abc', overridden: true }),
    ).toBe(
      'Base: the saved model read from DPO_TS_T2I_BASE=/tmp/interim at step 2000; id saved-model:abc (not the committed base).',
    );
  });

  it('names the committed folders by their last two path parts (older results: no id)', () => {
    expect(
      baseFinding({ kind: 'saved-model', step: 20000, source: '/repo/checkpoints/emoji-t2i', id: 'saved-model:abc' }),
    ).toBe('Base: the finished saved base model at step 20000 (checkpoints/emoji-t2i; id saved-model:abc).');
    expect(baseFinding({ kind: 'run-checkpoint', step: null, source: '/repo/emoji-t2i-run/step-000042' })).toBe(
      "Base: the unfinished base run's training checkpoint at step unknown (emoji-t2i-run/step-000042).",
    );
  });
});
