import { describe, expect, it } from 'vitest';
import { lineLogStream, progressThrough } from './log-stream.js';

describe('lineLogStream', () => {
  it('forwards complete lines with the prefix, splits redraws, drops escapes and blank lines', async () => {
    const lines: string[] = [];
    const stream = lineLogStream((line) => lines.push(line), '[x] ');
    stream.write('step 1/2');
    stream.write(' | loss 0.5\n\r\x1b[2Kstep 2/2\n\n');
    stream.write('tail');
    await new Promise<void>((resolve) => stream.end(resolve));
    expect(lines).toEqual(['[x] step 1/2 | loss 0.5', '[x] step 2/2', '[x] tail']);
  });
});

describe('progressThrough', () => {
  it('plain lines every n steps (at least 1), the given metrics and JSONL file', () => {
    const options = progressThrough(() => {}, '', 0.4, ['loss'], '/tmp/x.jsonl');
    expect(options).toMatchObject({ redraw: false, everySteps: 1, metrics: ['loss'], jsonlPath: '/tmp/x.jsonl' });
    expect(progressThrough(() => {}, '', 45.9, []).everySteps).toBe(45);
    expect('jsonlPath' in progressThrough(() => {}, '', 1, [])).toBe(false);
  });
});
