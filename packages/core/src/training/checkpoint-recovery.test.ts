import { promises as fs } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CHECKPOINT_SAVE_POINTS,
  loadLatestCheckpoint,
  saveCheckpoint,
  type CheckpointSavePoint,
} from './checkpoint.js';
import { recoverCheckpointDirectory } from './checkpoint-recovery.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'dpo-ts-recovery-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** One weight holding `value`, for telling checkpoints apart. */
const weights = (value: number): Map<string, tf.Tensor> => new Map([['w', tf.tensor([value, -value])]]);

/**
 * Simulates a crash at `point` of a save: the save stalls there for good (its promise never
 * settles), which freezes the directory exactly as a kill at that moment would leave it.
 */
async function saveStalledAt(
  dir: string,
  point: CheckpointSavePoint,
  step: number,
  value: number,
  keepLast: number,
): Promise<void> {
  let stalled!: () => void;
  const reached = new Promise<void>((resolve) => (stalled = resolve));
  const content = weights(value);
  void saveCheckpoint(
    dir,
    { step, weights: content, metadata: { value } },
    {
      keepLast,
      onSavePoint: (p) => {
        if (p !== point) return;
        stalled();
        return new Promise<void>(() => {}); // never resumes: the process "died" here
      },
    },
  );
  await reached;
  tf.dispose([...content.values()]);
}

describe('recovery after a crash during a save', () => {
  it('finishes or rolls back at every point of the save: complete checkpoints, no leftovers, the right data', async () => {
    // Every save point is reached by one save: replacing step 2 (renamed aside) with keepLast 1 (pruning step 1).
    const expected: Record<CheckpointSavePoint, { value: number; steps: number[]; leftovers: number }> = {
      'tensors-written': { value: 2, steps: [1, 2], leftovers: 1 }, // temporary directory: never committed
      'directory-written': { value: 2, steps: [1, 2], leftovers: 1 },
      'moved-aside': { value: 2, steps: [1, 2], leftovers: 2 }, // old step 2 aside, new one not in place: rolled back
      'moved-into-place': { value: 3, steps: [1, 2], leftovers: 0 }, // the new step 2 is in place
      'latest-temporary-written': { value: 3, steps: [1, 2], leftovers: 1 },
      'latest-written': { value: 3, steps: [1, 2], leftovers: 0 },
      pruning: { value: 3, steps: [2], leftovers: 1 }, // step 1 renamed away, not yet deleted
    };
    expect(Object.keys(expected)).toEqual([...CHECKPOINT_SAVE_POINTS]);
    for (const point of CHECKPOINT_SAVE_POINTS) {
      const dir = path.join(scratch, point);
      for (const [step, value] of [
        [1, 1],
        [2, 2],
      ] as const) {
        const content = weights(value);
        await saveCheckpoint(dir, { step, weights: content, metadata: { value } });
        tf.dispose([...content.values()]);
      }
      await saveStalledAt(dir, point, 2, 3, 1);
      const hidden = (await fs.readdir(dir)).filter((name) => name.startsWith('.'));
      expect(hidden.length, point).toBe(expected[point].leftovers);

      const actions = await recoverCheckpointDirectory(dir);
      expect(actions.length, point).toBe(expected[point].leftovers);
      if (point === 'moved-aside')
        expect(actions.join('\n')).toContain(
          `rolled back an interrupted replacement of ${path.join(dir, 'step-000002')}`,
        );
      const names = (await fs.readdir(dir)).sort();
      expect(names, point).toEqual([...expected[point].steps.map((s) => `step-00000${s}`), 'latest'].sort());
      const loaded = await loadLatestCheckpoint(dir);
      expect(loaded!.step, point).toBe(2);
      expect(loaded!.warnings, point).toEqual([]);
      expect(Array.from(loaded!.weights.get('w')!.values), point).toEqual([
        expected[point].value,
        -expected[point].value,
      ]);
      expect(loaded!.metadata, point).toEqual({ value: expected[point].value });
      expect(await recoverCheckpointDirectory(dir), point).toEqual([]); // idempotent
    }
  });

  it('leaves foreign dot-files alone', async () => {
    const dir = path.join(scratch, 'foreign');
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, '.gitignore'), '*\n');
    await fs.mkdir(path.join(dir, '.step-notes'));
    expect(await recoverCheckpointDirectory(dir)).toEqual([]);
    expect((await fs.readdir(dir)).sort()).toEqual(['.gitignore', '.step-notes']);
    expect(await recoverCheckpointDirectory(path.join(scratch, 'absent'))).toEqual([]);
  });
});
