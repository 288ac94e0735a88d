import { describe, expect, it } from 'vitest';
import { anchor, formatCell, markdownTable } from './markdown.js';
import { SuiteProgress, formatDuration } from './progress.js';
import { renderVegaLiteToSvg } from './render-plot.js';

describe('markdownTable', () => {
  it('renders a titled table with numeric columns right-aligned and a note', () => {
    const markdown = markdownTable({
      title: 'Speed',
      columns: ['step', 'ms', 'note'],
      rows: [
        ['dpo', 1234.5678, null],
        ['sft | packed', 0.123456, 'fast\nenough'],
      ],
      note: 'Medians of 3 steps.',
    });
    expect(markdown.split('\n')).toEqual([
      '**Speed**',
      '',
      '| step | ms | note |',
      '|---|---:|---|',
      '| dpo | 1234.6 | - |',
      '| sft \\| packed | 0.1235 | fast enough |',
      '',
      'Medians of 3 steps.',
    ]);
  });

  it('pads short rows and rejects long ones', () => {
    expect(markdownTable({ title: 't', columns: ['a', 'b'], rows: [[1]] })).toContain('| 1 |  |');
    expect(() => markdownTable({ title: 't', columns: ['a'], rows: [[1, 2]] })).toThrow(
      'table "t": row 0 has 2 cells for 1 columns',
    );
  });

  it('formats cells', () => {
    expect([
      formatCell(3),
      formatCell(-0.000123456),
      formatCell(NaN),
      formatCell(-Infinity),
      formatCell(null),
      formatCell(250.04),
    ]).toEqual(['3', '-0.0001235', 'NaN', '-Inf', '-', '250.0']);
  });

  it('makes GitHub heading anchors', () => {
    expect(anchor('Diffusion-DPO vs DDPO (MNIST, JPEG reward)')).toBe('diffusion-dpo-vs-ddpo-mnist-jpeg-reward');
  });
});

describe('progress', () => {
  it('formats durations', () => {
    expect([formatDuration(42.4), formatDuration(185), formatDuration(3720), formatDuration(NaN)]).toEqual([
      '42s',
      '3m 05s',
      '1h 02m',
      '?',
    ]);
  });

  it('scales the ETA by how fast finished benchmarks ran against their expectation', () => {
    let now = 0;
    const progress = new SuiteProgress(
      [
        { name: 'a', expectedMinutes: 1 },
        { name: 'b', expectedMinutes: 2 },
      ],
      () => now,
    );
    progress.start(0);
    expect(progress.eta()).toBe(180);
    now = 30;
    expect(progress.eta()).toBe(150);
    now = 120; // a took twice its expected minute
    expect(progress.finish()).toBe(120);
    progress.start(1);
    expect(progress.eta()).toBe(240);
    expect(progress.prefix()).toBe('[2/2 b | 2m 00s | ETA 4m 00s]');
    now = 300;
    progress.finish();
    expect(progress.eta()).toBe(0);
  });
});

describe('renderVegaLiteToSvg', () => {
  it('renders a small bar chart to an SVG document without a canvas', async () => {
    const svg = await renderVegaLiteToSvg({
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: {
        values: [
          { step: 'dpo', ms: 1000 },
          { step: 'sft', ms: 400 },
        ],
      },
      mark: 'bar',
      encoding: { x: { field: 'step', type: 'nominal' }, y: { field: 'ms', type: 'quantitative' } },
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('</svg>');
    expect(svg).toContain('>sft</text>');
    expect(svg).toContain('fill="white"');
  });

  it('rejects an invalid spec', async () => {
    await expect(renderVegaLiteToSvg({ mark: 'no-such-mark', data: { values: [] } })).rejects.toThrow();
  });
});
