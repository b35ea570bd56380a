import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { benchEngine } from './engine.js';
import { benchPublish } from './publish.js';

/*
 * `npm run bench`: measures on this machine and writes bench/results/<timestamp>.json plus a
 * table. Benchmarks are not tests: nothing here passes or fails on a timing. docs/performance.md
 * explains the figures.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const INTERNATIONAL = path.join(ROOT, '..', 'shared', 'fixtures', 'international', 'results.csv');

interface Row {
  benchmark: string;
  figure: string;
  value: number;
  unit: string;
  goal?: string;
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
  };
}

function engineRows(): Row[] {
  return benchEngine().flatMap((figures) => [
    {
      benchmark: `engine (${figures.model})`,
      figure: 'rateColumns',
      value: Math.round(figures.columnsMatchesPerSecond),
      unit: 'matches/s',
      goal: '>= 5,000,000',
    },
    {
      benchmark: `engine (${figures.model})`,
      figure: 'rate (objects in and out)',
      value: Math.round(figures.objectsMatchesPerSecond),
      unit: 'matches/s',
    },
  ]);
}

/** `matchflow ratings rate` over the international results, as a user runs it (built CLI, one process). */
function ratingsRateRows(): Row[] {
  if (!existsSync(INTERNATIONAL)) {
    console.info(`[bench] ${INTERNATIONAL} not found: ratings rate skipped`);
    return [];
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'matchflow-bench-'));
  try {
    const input = path.join(work, 'results.csv');
    writeFileSync(
      input,
      execFileSync(process.execPath, ['scripts/international-results.mjs', INTERNATIONAL], {
        cwd: ROOT,
        maxBuffer: 1 << 26,
      }),
    );
    const params = path.join(work, 'params.json');
    writeFileSync(params, '{"preset":"football"}');
    const cli = path.join(ROOT, 'apps', 'cli', 'dist', 'main.js');
    const runs = Array.from({ length: 5 }, () => {
      const started = performance.now();
      const child = spawnSync(
        process.execPath,
        [cli, 'ratings', 'rate', '--input', input, '--params', params, '--out', path.join(work, 'rated.csv'), '--json'],
        { encoding: 'utf8' },
      );
      const wallMs = performance.now() - started;
      if (child.status !== 0) throw new Error(`ratings rate failed: ${child.stderr}`);
      return {
        wallMs,
        ...(JSON.parse(child.stdout) as {
          matches: number;
          elapsedMs: number;
          ratingMs: number;
          brier: number;
          logLoss: number;
        }),
      };
    });
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    const first = runs[0] as (typeof runs)[number];
    const name = `ratings rate (${first.matches} international results)`;
    return [
      {
        benchmark: name,
        figure: 'process wall time (median of 5)',
        value: Math.round(median(runs.map((run) => run.wallMs))),
        unit: 'ms',
        goal: 'well under 1,000',
      },
      {
        benchmark: name,
        figure: 'read + rate + write (median)',
        value: Math.round(median(runs.map((run) => run.elapsedMs))),
        unit: 'ms',
      },
      {
        benchmark: name,
        figure: 'rating alone (median)',
        value: Math.round(median(runs.map((run) => run.ratingMs))),
        unit: 'ms',
      },
      { benchmark: name, figure: 'Brier score', value: Number(first.brier.toFixed(5)), unit: '' },
      { benchmark: name, figure: 'log loss', value: Number(first.logLoss.toFixed(5)), unit: 'nats' },
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Publishing a snapshot of a large curated zone (embedded PGlite, files on the local disk). */
async function publishRows(): Promise<Row[]> {
  const figures = await benchPublish();
  const name = `publish (${figures.rows.toLocaleString('en-US')} rows, ${(figures.bytes / 2 ** 20).toFixed(1)} MiB of files)`;
  return [
    {
      benchmark: name,
      figure: 'read + render + write + record (median of 5)',
      value: Math.round(figures.publishMs),
      unit: 'ms',
    },
    {
      benchmark: name,
      figure: 'rows published per second',
      value: Math.round(figures.rows / (figures.publishMs / 1000)),
      unit: 'rows/s',
    },
    {
      benchmark: name,
      figure: 'unchanged data (read + render + compare)',
      value: Math.round(figures.unchangedMs),
      unit: 'ms',
    },
  ];
}

const rows = [...engineRows(), ...ratingsRateRows(), ...(await publishRows())];
const result = { createdAt: new Date().toISOString(), machine: machine(), results: rows };
const directory = path.join(ROOT, 'bench', 'results');
mkdirSync(directory, { recursive: true });
const file = path.join(directory, `${result.createdAt.replaceAll(':', '-')}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

/** A plain text table: one column per key, widths to fit. */
function table(records: Array<Record<string, string>>): string {
  const keys = Object.keys(records[0] ?? {});
  const widths = keys.map((key) => Math.max(key.length, ...records.map((record) => (record[key] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, index) => cell.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    line(keys),
    line(widths.map((width) => '-'.repeat(width))),
    ...records.map((record) => line(keys.map((key) => record[key] ?? ''))),
  ].join('\n');
}

const formatted = rows.map((row) => ({
  benchmark: row.benchmark,
  figure: row.figure,
  value: Number.isInteger(row.value) ? row.value.toLocaleString('en-US') : String(row.value),
  unit: row.unit,
  goal: row.goal ?? '',
}));
process.stdout.write(
  `machine: ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}\n\n${table(formatted)}\n\nwrote ${path.relative(ROOT, file)}\n`,
);
