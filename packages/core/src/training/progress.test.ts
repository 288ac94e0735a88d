import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ProgressReporter, formatDuration, formatMetric, formatProgressLine, formatRate } from './progress.js';

class Capture extends Writable {
  text = '';
  constructor(readonly isTTY = false) {
    super();
  }
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

/** A clock the test advances by hand, in milliseconds. */
function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1000;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

const scratch = mkdtempSync(path.join(tmpdir(), 'dpo-ts-progress-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('formatting', () => {
  it('formatDuration uses the two largest units', () => {
    expect([0, 12.4, 59.6, 283, 3600, 3725, 90061].map(formatDuration)).toEqual([
      '0s',
      '12s',
      '1m00s',
      '4m43s',
      '1h00m',
      '1h02m',
      '1d01h',
    ]);
    expect(formatDuration(NaN)).toBe('?');
    expect(formatDuration(Infinity)).toBe('?');
    expect(formatDuration(-5)).toBe('0s');
  });

  it('formatMetric is short and trims zeros', () => {
    expect([0.64123, 0.62, 123.456, 1, -3, 0, 5e-7, 0.0123, 23456.7, 0.001].map(formatMetric)).toEqual([
      '0.6412',
      '0.62',
      '123.5',
      '1',
      '-3',
      '0',
      '5e-7',
      '0.0123',
      '2.346e4',
      '0.001',
    ]);
    expect([NaN, Infinity, -Infinity].map(formatMetric)).toEqual(['NaN', 'Inf', '-Inf']);
  });

  it('formatRate switches to seconds per step below one step per second', () => {
    expect([3.14, 0.4, 0, NaN].map(formatRate)).toEqual(['3.1 steps/s', '2.50 s/step', '? steps/s', '? steps/s']);
  });

  it('formatProgressLine', () => {
    const line = formatProgressLine(120, 1000, { loss: 0.64123, 'rewards/accuracies': 0.62 }, 3.1);
    expect(line).toBe('step 120/1000 (12%) | loss 0.6412 | rewards/accuracies 0.62 | 3.1 steps/s | ETA 4m44s');
    expect(formatProgressLine(10, 10, {}, 2)).toBe('step 10/10 (100%) | 2.0 steps/s | ETA 0s');
  });
});

describe('ProgressReporter', () => {
  it('prints plain lines on the first step, every N steps, after N seconds and at the end', () => {
    const stream = new Capture();
    const clock = fakeClock();
    const reporter = new ProgressReporter(25, {
      stream,
      everySteps: 10,
      everySeconds: 5,
      now: clock.now,
      metrics: ['loss'],
    });
    reporter.start(0);
    for (let step = 1; step <= 25; step++) {
      clock.advance(step === 14 ? 6000 : 500); // one slow step: a line by time at step 14
      reporter.update(step, { loss: 1 / step, other: 3 });
    }
    reporter.close();
    const lines = stream.text.trimEnd().split('\n');
    expect(lines.map((l) => l.split(' | ')[0])).toEqual([
      'step 1/25 (4%)',
      'step 10/25 (40%)',
      'step 14/25 (56%)',
      'step 20/25 (80%)',
      'step 25/25 (100%)',
    ]);
    expect(lines[1]).toBe('step 10/25 (40%) | loss 0.1 | 2.0 steps/s | ETA 8s');
    expect(stream.text).not.toContain('\r');
  });

  it('redraws one line on a TTY and keeps log messages above it', () => {
    const stream = new Capture(true);
    const clock = fakeClock();
    const reporter = new ProgressReporter(3, { stream, now: clock.now });
    reporter.start(0);
    clock.advance(1000);
    reporter.update(1, { loss: 0.5 });
    reporter.log('saved checkpoint');
    clock.advance(1000);
    reporter.update(2, { loss: 0.4 });
    clock.advance(1000);
    reporter.update(3, { loss: 0.3 });
    reporter.close();
    expect(stream.text).toBe(
      '\r\x1b[2Kstep 1/3 (33%) | loss 0.5 | 1.0 steps/s | ETA 2s' +
        '\r\x1b[2Ksaved checkpoint\nstep 1/3 (33%) | loss 0.5 | 1.0 steps/s | ETA 2s' +
        '\r\x1b[2Kstep 2/3 (66%) | loss 0.4 | 1.0 steps/s | ETA 1s' +
        '\r\x1b[2Kstep 3/3 (100%) | loss 0.3 | 1.0 steps/s | ETA 0s\n',
    );
  });

  it('writes every step and evaluation to a JSONL file', () => {
    const file = path.join(scratch, 'logs', 'train.jsonl');
    const clock = fakeClock();
    const reporter = new ProgressReporter(4, { stream: new Capture(), jsonlPath: file, now: clock.now });
    reporter.start(2); // resumed at step 2
    clock.advance(1500);
    reporter.update(3, { loss: 0.25, grad_norm: NaN });
    reporter.evaluation(3, { 'eval/loss': 0.3 });
    reporter.close();
    reporter.close();
    const records = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(records).toEqual([
      { type: 'train', step: 3, elapsed_s: 1.5, loss: 0.25, grad_norm: null },
      { type: 'eval', step: 3, elapsed_s: 1.5, 'eval/loss': 0.3 },
    ]);
  });
});
