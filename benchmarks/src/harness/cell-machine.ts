import { availableParallelism, cpus, hostname } from 'node:os';
import type { ReportTable } from './benchmark.js';

/** The machine a timing cell ran on: timings from different machines are not comparable. */
export interface CellMachine {
  /** Host name of the machine. */
  readonly host: string;
  /** CPU model (first core). */
  readonly cpu: string;
  /** Cores Node may use (`availableParallelism`). */
  readonly cores: number;
}

/** The machine this process runs on. */
export function cellMachine(): CellMachine {
  return { host: hostname(), cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism() };
}

const describe = (machine: CellMachine): string => `${machine.host} (${machine.cpu}, ${machine.cores} cores)`;

/**
 * What a timing benchmark's report says about where its cells ran: one machine, a finding that
 * names it; several (cells spread over a queue's workers), a table that marks each cell's
 * machine and a finding that timings from different machines are not comparable.
 */
export function machineReport(cells: readonly { readonly id: string; readonly machine: CellMachine }[]): {
  readonly tables: ReportTable[];
  readonly findings: string[];
} {
  const machines = [...new Set(cells.map((cell) => describe(cell.machine)))];
  if (machines.length <= 1)
    return { tables: [], findings: machines.map((machine) => `Every timing was measured on one machine: ${machine}.`) };
  return {
    tables: [
      {
        title: 'Where each cell was measured',
        columns: ['cell', 'machine'],
        rows: cells.map((cell) => [cell.id, describe(cell.machine)]),
        note: 'The cells ran on several queue workers; compare timings only between rows of the same machine.',
      },
    ],
    findings: [
      `The timing cells ran on ${machines.length} machines (${machines.join('; ')}): timings from different machines are not comparable; see "Where each cell was measured". Run with one worker for a comparable table.`,
    ],
  };
}
