import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { calibrate, type EloMatch, type EloParams, ParamsError, parseParams, rate } from '@matchflow/ratings';
import { CsvSyntaxError, csvField, parseCsv } from '../csv/csv.js';
import { UsageError } from '../usage-error.js';

export interface RatingsRateOptions {
  input: string | undefined;
  params: string | undefined;
  out: string | undefined;
  json: boolean;
}

export interface RatingsRateSummary {
  matches: number;
  participants: number;
  brier: number;
  logLoss: number;
  /** Reading, rating and writing, without process start-up. */
  elapsedMs: number;
  ratingMs: number;
}

const REQUIRED = ['date', 'season', 'home', 'away', 'home_score', 'away_score', 'neutral'] as const;
const ADDED = ['home_pre', 'away_pre', 'home_post', 'away_post', 'home_expected'] as const;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * `matchflow ratings rate --input results.csv --params params.json [--out rated.csv]`: rate a
 * results file offline with the pipeline's engine, for tuning parameters and checking the
 * engine against published systems (docs/ratings.md). Bad input throws UsageError naming the
 * line or key (exit 2). Without --out the rated CSV goes to stdout and the summary to stderr.
 */
export function ratingsRate(
  options: RatingsRateOptions,
  io: { out: (line: string) => void; err: (line: string) => void; stdout: (text: string) => void },
): number {
  if (!options.input || !options.params) {
    throw new UsageError('ratings rate needs --input results.csv and --params params.json');
  }
  const started = performance.now();
  const params = readParams(options.params);
  const { header, rows, matches } = readResults(options.input);

  const ratingStarted = performance.now();
  const { rated, state } = rate(matches, params);
  const ratingMs = performance.now() - ratingStarted;

  const lines = [[...header, ...ADDED].map(csvField).join(',')];
  for (let index = 0; index < rows.length; index += 1) {
    const result = rated[index] as (typeof rated)[number];
    // String(number) is the shortest text that parses back to the same double: full precision.
    const added = [result.homePre, result.awayPre, result.homePost, result.awayPost, result.expectedHome].map(String);
    lines.push([...(rows[index] as string[]).map(csvField), ...added].join(','));
  }
  const csv = `${lines.join('\n')}\n`;
  if (options.out) writeFileSync(options.out, csv);
  else io.stdout(csv);

  const figures = calibrate(rated);
  const summary: RatingsRateSummary = {
    matches: matches.length,
    participants: state.size,
    brier: figures.brier,
    logLoss: figures.logLoss,
    elapsedMs: performance.now() - started,
    ratingMs,
  };
  const report = options.out ? io.out : io.err;
  if (options.json) {
    report(JSON.stringify(summary));
  } else {
    report(`rated ${summary.matches} matches of ${summary.participants} participants`);
    report(`calibration: Brier ${summary.brier.toFixed(5)}, log loss ${summary.logLoss.toFixed(5)}`);
    report(
      `time: ${summary.elapsedMs.toFixed(1)} ms (rating ${summary.ratingMs.toFixed(1)} ms)${options.out ? `; wrote ${options.out}` : ''}`,
    );
  }
  return 0;
}

function readParams(file: string): EloParams {
  let json: unknown;
  try {
    json = JSON.parse(readText(file));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  try {
    return parseParams(json);
  } catch (error) {
    if (error instanceof ParamsError) throw new UsageError(`${file}: ${error.message}`);
    throw error;
  }
}

function readResults(file: string): { header: string[]; rows: string[][]; matches: EloMatch[] } {
  let records: ReturnType<typeof parseCsv>;
  try {
    records = parseCsv(readText(file));
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new UsageError(`${file}: ${error.message}`);
    throw error;
  }
  const [head, ...body] = records;
  if (!head) throw new UsageError(`${file}: empty file (expected a header: ${REQUIRED.join(',')})`);
  const header = head.fields.map((name) => name.trim());
  const column = (name: string) => header.indexOf(name);
  for (const name of REQUIRED) {
    if (column(name) < 0)
      throw new UsageError(`${file}: line 1: missing column '${name}' (header: ${header.join(',')})`);
  }
  const [date, season, home, away, homeScore, awayScore, neutral] = REQUIRED.map(column) as number[];
  const weight = column('weight');

  const rows: string[][] = new Array(body.length);
  const matches: EloMatch[] = new Array(body.length);
  let previousDate = '';
  for (let index = 0; index < body.length; index += 1) {
    const { line, fields } = body[index] as (typeof body)[number];
    const at = new Where(file, line);
    if (fields.length !== header.length) {
      throw new UsageError(`${at}: ${fields.length} fields, the header has ${header.length}`);
    }
    const field = (position: number) => fields[position] as string;
    const day = field(date as number);
    if (day !== previousDate) {
      if (!isDate(day)) throw new UsageError(`${at}: date '${day}' is not a date (YYYY-MM-DD)`);
      if (day < previousDate) {
        throw new UsageError(
          `${at}: date ${day} is before the line above (${previousDate}); rows must be in chronological order`,
        );
      }
      previousDate = day;
    }
    const match: EloMatch = {
      id: String(line),
      home: nonEmpty(field(home as number), 'home', at),
      away: nonEmpty(field(away as number), 'away', at),
      homeScore: score(field(homeScore as number), 'home_score', at),
      awayScore: score(field(awayScore as number), 'away_score', at),
      neutral: flag(field(neutral as number), at),
      season: nonEmpty(field(season as number), 'season', at),
    };
    if (match.home === match.away) throw new UsageError(`${at}: '${match.home}' plays itself`);
    if (weight >= 0 && field(weight) !== '') match.weight = field(weight);
    matches[index] = match;
    rows[index] = fields;
  }
  return { header, rows, matches };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function isDate(value: string): boolean {
  const parts = DATE.exec(value);
  if (!parts) return false;
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const parsed = new Date(Date.UTC(year, month - 1, day));
  return parsed.getUTCFullYear() === year && parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === day;
}

/** Where a row is, as text only when an error needs it. */
class Where {
  constructor(
    private readonly file: string,
    private readonly line: number,
  ) {}

  toString(): string {
    return `${this.file}: line ${this.line}`;
  }
}

function score(value: string, name: string, at: Where): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isInteger(number) || number < 0) {
    throw new UsageError(`${at}: ${name} '${value}' is not a whole number of 0 or more`);
  }
  return number;
}

function flag(value: string, at: Where): boolean {
  if (value === '1') return true;
  if (value === '0') return false;
  throw new UsageError(`${at}: neutral '${value}' must be 0 or 1`);
}

function nonEmpty(value: string, name: string, at: Where): string {
  if (value.trim() === '') throw new UsageError(`${at}: ${name} is empty`);
  return value;
}
