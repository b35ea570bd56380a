#!/usr/bin/env node
import { parseArgs } from 'node:util';
import type { Config } from '@matchflow/config';
import { UsageError } from './usage-error.js';

// Commands, and the configuration, are imported when needed: the offline `ratings rate` should
// not pay for loading the config schema, the fleet, the database drivers and the replay upstream.

/** Exit code for a bad command line or bad input (the same as for invalid configuration). */
const EXIT_USAGE = 2;

/** Exit code for a failure that is not the user's input (database unreachable, ...). */
const EXIT_FAILURE = 1;

/** Every flag any command takes; each command lists the ones it accepts. */
const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  once: { type: 'boolean' },
  source: { type: 'string' },
  event: { type: 'string' },
  competition: { type: 'string' },
  season: { type: 'string' },
  full: { type: 'boolean' },
  wait: { type: 'boolean' },
  input: { type: 'string' },
  params: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  'from-raw': { type: 'boolean' },
  to: { type: 'string' },
  all: { type: 'boolean' },
  limit: { type: 'string', short: 'n' },
  run: { type: 'string' },
  pool: { type: 'string' },
  participant: { type: 'string' },
  'grace-ms': { type: 'string' },
  state: { type: 'string' },
  seasons: { type: 'string' },
  from: { type: 'string' },
  matches: { type: 'string' },
  'dry-run': { type: 'boolean' },
  scope: { type: 'string' },
  'batch-size': { type: 'string' },
  'max-items': { type: 'string' },
  'max-runtime': { type: 'string' },
  'metrics-json': { type: 'string' },
  'status-jsonl': { type: 'string' },
} as const;

type OptionName = Exclude<keyof typeof OPTIONS, 'help'>;
type Values = ReturnType<typeof parseCommandLine>['values'];
type ConfigWithFile = Config & { configFile: string | undefined };

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

interface Context {
  values: Values;
  /** The command's positional argument (`runs show <id>`), when it takes one. */
  arg: string | undefined;
  /** Every positional argument given to the command, in order (`lineage <table> <key>`). */
  args: string[];
  /** Load and validate the configuration (exit 2 when invalid). */
  config: () => Promise<ConfigWithFile>;
  io: Io;
}

interface Command {
  /** One or two words: `health`, `runs list`. */
  name: string;
  /** What follows `matchflow` in a usage line. */
  synopsis: string;
  /** A line or two for the command list. */
  summary: string;
  /** Flags, arguments and exit codes, for `matchflow <command> --help`. */
  details: string;
  options: readonly OptionName[];
  /** The positional argument it takes, if any (`<id>`); `more` names further ones, required alike. */
  arg?: { name: string; required: boolean; more?: readonly string[] };
  run: (context: Context) => Promise<number> | number;
}

/** `--limit N` / `-n N` and the like: a whole number >= min, or a usage error. */
function wholeNumber(value: string | undefined, flag: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < min)
    throw new UsageError(`${flag} must be a whole number of at least ${min}, not '${value}'`);
  return number;
}

const JSON_FLAG = '  --json             print JSON (for scripts) instead of text';

const COMMANDS: readonly Command[] = [
  {
    name: 'start',
    synopsis: 'start [--once]',
    summary:
      'run everything in one process on embedded defaults (the demo when no competitions are\nconfigured); --once exits after the first runs',
    details: '  --once             exit after the first runs (exit 1 unless every run ended ok)',
    options: ['once'],
    run: async ({ config, values, io }) =>
      (await import('./commands/start.js')).start(await config(), io.out, { once: values.once ?? false }),
  },
  {
    name: 'run',
    synopsis: 'run --competition ID --season ID [--full] [--wait]',
    summary: 'start a run for the worker processes (needs DATABASE_URL); --wait follows it',
    details: [
      '  --competition ID   a configured competition id',
      '  --season ID        its upstream season id',
      '  --full             re-ingest every match, not only new or changed ones',
      '  --wait             follow the run to its end; exit 1 unless it ends ok',
    ].join('\n'),
    options: ['competition', 'season', 'full', 'wait'],
    run: async ({ config, values, io }) => {
      const { runCommand } = await import('./commands/run.js');
      const options = {
        competition: values.competition,
        season: values.season,
        full: values.full ?? false,
        wait: values.wait ?? false,
      };
      return runCommand(await config(), options, io.out);
    },
  },
  {
    name: 'backfill',
    synopsis:
      'backfill --competition ID (--season ID | --seasons A,B | --from DATE --to DATE | --matches ID,..) [--source S] [--dry-run] [--wait] [--json]',
    summary:
      "load a competition's history behind the schedule: one run per season at backfill priority,\nskipping what core already holds (re-running resumes); --dry-run only counts (docs/backfill.md)",
    details: [
      '  --competition ID   a configured competition id',
      '  --source S         its source (optional; must be the configured one)',
      '  --season ID        one tracked upstream season',
      '  --seasons A,B      several tracked seasons (default with --from/--to or --matches: all tracked)',
      '  --from DATE        only matches starting at or after DATE (YYYY-MM-DD is 00:00 UTC, or ISO 8601 with offset)',
      '  --to DATE          only matches starting before the end of DATE (a YYYY-MM-DD day is included)',
      '  --matches ID,..    only these upstream match ids',
      '  --dry-run          list each season and count what would be ingested and what is done; enqueue nothing',
      '  --wait             follow the runs to the end (progress bar on a terminal); exit 1 unless all end ok',
      JSON_FLAG,
      '',
      'Needs DATABASE_URL (workers in other processes do the work), except --dry-run.',
      'exit codes: 0 ok, 1 failure (or a run not ok with --wait), 2 usage.',
    ].join('\n'),
    options: ['competition', 'source', 'season', 'seasons', 'from', 'to', 'matches', 'dry-run', 'wait', 'json'],
    run: async ({ config, values, io }) => {
      const { backfillCommand, parseBackfillOptions } = await import('./commands/backfill.js');
      // The command line is checked before the configuration is loaded.
      const options = parseBackfillOptions(values);
      return backfillCommand(await config(), options, io);
    },
  },
  {
    name: 'stage list',
    synopsis: 'stage list [--json]',
    summary: 'list the registered stages: queue, dependencies, schedule and budget',
    details: JSON_FLAG,
    options: ['json'],
    run: async ({ config, values, io }) =>
      (await import('./commands/stage.js')).stageList(await config(), { json: values.json ?? false }, io),
  },
  {
    name: 'stage run',
    synopsis:
      'stage run <name> [--scope S] [--batch-size N] [--max-items N] [--max-runtime 55m] [--dry-run] [--metrics-json FILE] [--status-jsonl FILE]',
    summary:
      'run one standalone stage now, through its queue and under the same lock as its schedule\n(docs/adding-a-stage.md); waits and prints a summary',
    details: [
      '  <name>             a standalone stage (matchflow stage list)',
      '  --scope S          what it runs over (default: all)',
      '  --batch-size N     items per committed batch',
      '  --max-items N      most items this run processes',
      '  --max-runtime D    no new batch after D (90s, 55m, 2h)',
      '  --dry-run          select and count only: fetch and write nothing',
      '  --metrics-json F   write duration, scanned/processed/skipped/failed and counters to F',
      "  --status-jsonl F   stream the run's events to F, one JSON object per line",
      '',
      "Works the stage's queue in this process when no worker does. Artifacts are kept under",
      '<logDir>/runs/<run_id>/. exit codes: 0 ok, 1 not ok or refused (a run still going), 2 usage.',
    ].join('\n'),
    options: ['scope', 'batch-size', 'max-items', 'max-runtime', 'dry-run', 'metrics-json', 'status-jsonl'],
    arg: { name: 'name', required: true },
    run: async ({ config, values, arg, io }) => {
      const { parseStageRunOptions, stageRun } = await import('./commands/stage.js');
      const options = parseStageRunOptions(arg, values);
      return stageRun(await config(), options, io);
    },
  },
  {
    name: 'rebuild',
    synopsis: 'rebuild --from-raw [--competition ID] [--json]',
    summary:
      're-normalise the stored raw payloads into core (no upstream calls), re-rate, rebuild and\npublish; exit 1 unless every season published or was unchanged',
    details: [
      '  --from-raw         required: re-normalise the stored raw payloads',
      '  --competition ID   only this competition',
      JSON_FLAG,
    ].join('\n'),
    options: ['from-raw', 'competition', 'json'],
    run: async ({ config, values, io }) => {
      const { rebuildCommand } = await import('./commands/rebuild.js');
      const options = {
        fromRaw: values['from-raw'] ?? false,
        competition: values.competition,
        json: values.json ?? false,
      };
      return rebuildCommand(await config(), options, io.out);
    },
  },
  {
    name: 'runs list',
    synopsis: 'runs list [-n N] [--json]',
    summary: 'the most recent runs, newest first: started, trigger, scope, status, failed stage, duration',
    details: ['  -n, --limit N      how many runs (default 20)', JSON_FLAG].join('\n'),
    options: ['limit', 'json'],
    run: async ({ config, values, io }) => {
      const limit = wholeNumber(values.limit, '--limit', 20);
      return (await import('./commands/runs.js')).runsList(await config(), { limit, json: values.json ?? false }, io);
    },
  },
  {
    name: 'runs show',
    synopsis: 'runs show <id> [--json]',
    summary:
      'one run: its stages with attempts, durations and counters, the matches that failed, its\nquality results and the snapshot it published; exit 1 for an unknown run',
    details: ['  <id>               a run id (matchflow runs list)', JSON_FLAG].join('\n'),
    options: ['json'],
    arg: { name: 'id', required: true },
    run: async ({ config, values, arg, io }) =>
      (await import('./commands/runs.js')).runsShow(
        await config(),
        { runId: arg as string, json: values.json ?? false },
        io,
      ),
  },
  {
    name: 'lineage',
    synopsis: 'lineage <table> <key> [--json]',
    summary:
      'where a published row comes from: the curated row, the core rows it is computed from and\nthe raw payload of each (endpoint, key, fetched_at, sha256); exit 1 when no row has the key',
    details: [
      '  <table>            standings, matches, player_appearances, tennis_records, players, ratings or seasons',
      "  <key>              the table's key values in order, comma-separated (docs/cli.md):",
      '                     standings SEASON,POSITION (or SEASON,TEAM), matches MATCH,',
      '                     player_appearances SEASON,PLAYER,TEAM, players PLAYER, ratings POOL,PARTICIPANT',
      JSON_FLAG,
    ].join('\n'),
    options: ['json'],
    arg: { name: 'table', required: true, more: ['key'] },
    run: async ({ config, values, args, io }) =>
      (await import('./commands/lineage.js')).lineage(
        await config(),
        { table: args[0] as string, key: args[1] as string, json: values.json ?? false },
        io,
      ),
  },
  {
    name: 'dq',
    synopsis: 'dq [--run ID] [--json]',
    summary:
      "a run's quality results (default: the newest run that has any), with sample rows of the\nchecks that did not pass; exit 1 when a check failed",
    details: ['  --run ID           this run instead of the newest one with quality results', JSON_FLAG].join('\n'),
    options: ['run', 'json'],
    run: async ({ config, values, io }) =>
      (await import('./commands/dq.js')).dataQuality(
        await config(),
        { runId: values.run, json: values.json ?? false },
        io,
      ),
  },
  {
    name: 'publish list',
    synopsis: 'publish list [--all] [--json]',
    summary: 'the published snapshots, newest first: version, content hash, rows, quality score, which\none is latest',
    details: ['  --all              also the snapshots retention removed', JSON_FLAG].join('\n'),
    options: ['all', 'json'],
    run: async ({ config, values, io }) =>
      (await import('./commands/publish.js')).publishList(
        await config(),
        { json: values.json ?? false, all: values.all ?? false },
        io.out,
      ),
  },
  {
    name: 'publish rollback',
    synopsis: 'publish rollback [--to VERSION] [--json]',
    summary:
      'move latest back to the previous snapshot, or to VERSION, after checking its files; exit 1\nwhen there is nothing to roll back to',
    details: ['  --to VERSION       the snapshot to move latest to (default: the one before latest)', JSON_FLAG].join(
      '\n',
    ),
    options: ['to', 'json'],
    run: async ({ config, values, io }) =>
      (await import('./commands/publish.js')).publishRollback(
        await config(),
        { to: values.to, json: values.json ?? false },
        io.out,
        io.err,
      ),
  },
  {
    name: 'ratings rate',
    synopsis: 'ratings rate --input results.csv --params params.json [--out rated.csv] [--json]',
    summary:
      "rate a results file offline with the pipeline's Elo engine and report its calibration\n(docs/ratings.md); needs no configuration",
    details: [
      '  --input FILE       results CSV: date, season, home, away, home_score, away_score, neutral',
      '  --params FILE      Elo parameters (JSON, as a rating pool in the config)',
      '  --out FILE         the rated CSV (default: stdout, with the summary on stderr)',
      '  --json             the summary as JSON',
    ].join('\n'),
    options: ['input', 'params', 'out', 'json'],
    run: async ({ values, io }) => {
      const { ratingsRate } = await import('./commands/ratings-rate.js');
      return ratingsRate(
        { input: values.input, params: values.params, out: values.out, json: values.json ?? false },
        { out: io.out, err: io.err, stdout: (text) => process.stdout.write(text) },
      );
    },
  },
  {
    name: 'ratings show',
    synopsis: 'ratings show [--pool P [--participant ID]] [-n N] [--json]',
    summary:
      "the rating pools; with --pool, the pool's leaderboard; with --participant, that\nparticipant's rating history in the pool; exit 1 when there are no such ratings",
    details: [
      '  --pool P           a rating pool (without it: the list of pools)',
      "  --participant ID   a participant's rated matches in the pool, newest first",
      '  -n, --limit N      how many rows (default 20)',
      JSON_FLAG,
    ].join('\n'),
    options: ['pool', 'participant', 'limit', 'json'],
    run: async ({ config, values, io }) => {
      if (values.participant !== undefined && values.pool === undefined)
        throw new UsageError('--participant needs --pool');
      const limit = wholeNumber(values.limit, '--limit', 20);
      return (await import('./commands/ratings-show.js')).ratingsShow(
        await config(),
        { pool: values.pool, participant: values.participant, limit, json: values.json ?? false },
        io,
      );
    },
  },
  {
    name: 'queue stats',
    synopsis: 'queue stats [--json]',
    summary:
      'per queue: jobs waiting, active, delayed, prioritized, waiting on children, completed,\nfailed; paused or not',
    details: JSON_FLAG,
    options: ['json'],
    run: async ({ config, values, io }) =>
      (await import('./commands/queue.js')).queueStats(await config(), { json: values.json ?? false }, io),
  },
  {
    name: 'queue pause',
    synopsis: 'queue pause <queue|all>',
    summary: 'pause a queue fleet-wide: workers take no new jobs from it (running ones finish)',
    details: '  <queue>            a queue (matchflow queue stats lists them), or all',
    options: [],
    arg: { name: 'queue', required: true },
    run: async ({ config, arg, io }) =>
      (await import('./commands/queue.js')).queuePauseResume(await config(), { action: 'pause', queue: arg }, io),
  },
  {
    name: 'queue resume',
    synopsis: 'queue resume <queue|all>',
    summary: 'resume a paused queue',
    details: '  <queue>            a queue (matchflow queue stats lists them), or all',
    options: [],
    arg: { name: 'queue', required: true },
    run: async ({ config, arg, io }) =>
      (await import('./commands/queue.js')).queuePauseResume(await config(), { action: 'resume', queue: arg }, io),
  },
  {
    name: 'queue retry-failed',
    synopsis: 'queue retry-failed <queue> [--limit N] [--json]',
    summary: "move a queue's failed jobs back to waiting",
    details: [
      '  <queue>            a queue (matchflow queue stats lists them)',
      '  -n, --limit N      at most N jobs (default: all)',
      JSON_FLAG,
    ].join('\n'),
    options: ['limit', 'json'],
    arg: { name: 'queue', required: true },
    run: async ({ config, values, arg, io }) => {
      const limit = values.limit === undefined ? undefined : wholeNumber(values.limit, '--limit', 1);
      return (await import('./commands/queue.js')).queueRetryFailed(
        await config(),
        { queue: arg, limit, json: values.json ?? false },
        io,
      );
    },
  },
  {
    name: 'queue clean',
    synopsis: 'queue clean <queue> [--state completed|failed] [--grace-ms N] [--limit N] [--json]',
    summary: "remove a queue's finished jobs older than a grace period",
    details: [
      '  <queue>            a queue (matchflow queue stats lists them)',
      '  --state S          completed (default) or failed',
      '  --grace-ms N       keep jobs that finished less than N ms ago (default 0: remove all)',
      '  -n, --limit N      at most N jobs (default: all)',
      JSON_FLAG,
    ].join('\n'),
    options: ['state', 'grace-ms', 'limit', 'json'],
    arg: { name: 'queue', required: true },
    run: async ({ config, values, arg, io }) => {
      const graceMs = wholeNumber(values['grace-ms'], '--grace-ms', 0, 0);
      const limit = values.limit === undefined ? undefined : wholeNumber(values.limit, '--limit', 1);
      return (await import('./commands/queue.js')).queueClean(
        await config(),
        { queue: arg, state: values.state, graceMs, limit, json: values.json ?? false },
        io,
      );
    },
  },
  {
    name: 'db migrate',
    synopsis: 'db migrate',
    summary: 'apply database migrations (safe to run from many processes)',
    details: '',
    options: [],
    run: async ({ config, io }) => (await import('./commands/db-migrate.js')).migrateDatabase(await config(), io.out),
  },
  {
    name: 'config check',
    synopsis: 'config check',
    summary: 'validate the configuration and summarise it (exit 2 when invalid)',
    details: '',
    options: [],
    run: async ({ config, io }) => (await import('./commands/config-check.js')).checkConfig(await config(), io.out),
  },
  {
    name: 'config print',
    synopsis: 'config print [--json]',
    summary: 'the effective configuration (file, defaults, environment) with secrets redacted',
    details: JSON_FLAG,
    options: ['json'],
    run: async ({ config, values, io }) =>
      (await import('./commands/config-print.js')).printConfig(await config(), { json: values.json ?? false }, io.out),
  },
  {
    name: 'health',
    synopsis: 'health [--json]',
    summary:
      "Redis (PING, noeviction), the database (SELECT 1, migrations applied), each source's\nbreaker; exit 1 when unhealthy",
    details: JSON_FLAG,
    options: ['json'],
    run: async ({ config, values, io }) =>
      (await import('./commands/health.js')).health(await config(), { json: values.json ?? false }, io),
  },
  {
    name: 'alerts check',
    synopsis: 'alerts check [--json]',
    summary:
      'evaluate the alerts once (docs/alerts.md): notify what changed, list what is open;\nexit 1 when a problem is open',
    details: JSON_FLAG,
    options: ['json'],
    run: async ({ config, values, io }) =>
      (await import('./commands/alerts.js')).alertsCheck(await config(), { json: values.json ?? false }, io),
  },
  {
    name: 'check-contract',
    synopsis: 'check-contract --source NAME --event ID',
    summary:
      'fetch one event (with lineups, incidents, statistics) and report every contract\nviolation; exit 1 when there is one',
    details: ['  --source NAME      a configured source', '  --event ID         the upstream event id'].join('\n'),
    options: ['source', 'event'],
    run: async ({ config, values, io }) => {
      const { checkContract } = await import('./commands/check-contract.js');
      return checkContract(await config(), { source: values.source, event: values.event }, io.out);
    },
  },
];

const GROUPS = new Set(
  COMMANDS.filter((command) => command.name.includes(' ')).map((command) => command.name.split(' ')[0]),
);

const FOOTER = `configuration: ./matchflow.yaml, or the file named by MATCHFLOW_CONFIG, plus MATCHFLOW_*,
REDIS_URL and DATABASE_URL overrides (see docs/setup.md). Invalid configuration exits 2.
exit codes: 0 ok, 1 failure, 2 usage or configuration error. docs/cli.md has the details.`;

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((line) => `${by}${line}`)
    .join('\n');
}

function listing(commands: readonly Command[]): string {
  return commands.map((command) => `  ${command.synopsis}\n${indent(command.summary, '      ')}`).join('\n');
}

const USAGE = `usage: matchflow <command> [options]   (matchflow <command> --help for its options)

commands:
${listing(COMMANDS)}

${FOOTER}`;

function commandHelp(command: Command): string {
  const details = command.details ? `\n\noptions:\n${command.details}` : '';
  return `usage: matchflow ${command.synopsis}\n\n${command.summary}${details}\n  -h, --help         this help`;
}

function groupHelp(group: string): string {
  const members = COMMANDS.filter((command) => command.name.startsWith(`${group} `));
  return `usage: matchflow ${group} <${members.map((command) => command.name.split(' ')[1]).join('|')}> [options]\n\n${listing(members)}`;
}

/** The command the positionals name (two words first), and the positionals left for it. */
function resolve(positionals: string[]): { command: Command; rest: string[] } | undefined {
  const [first, second] = positionals;
  const two = COMMANDS.find((command) => command.name === `${first} ${second}`);
  if (two) return { command: two, rest: positionals.slice(2) };
  const one = COMMANDS.find((command) => command.name === first);
  if (one) return { command: one, rest: positionals.slice(1) };
  return undefined;
}

function parseCommandLine(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS });
}

/** `Unknown option '--frob'. To specify a positional ...` -> `unknown option '--frob'`. */
function parseErrorMessage(error: Error): string {
  const unknown = /^Unknown option '([^']+)'/.exec(error.message);
  if (unknown) return `unknown option '${unknown[1]}'`;
  return error.message.replace(/^./, (letter) => letter.toLowerCase());
}

function flagName(name: OptionName): string {
  const short = (OPTIONS[name] as { short?: string }).short;
  return short ? `--${name} (-${short})` : `--${name}`;
}

async function main(argv: string[]): Promise<number> {
  const io: Io = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
  const usageError = (message: string, usage: string) => {
    io.err(`matchflow: ${message}\n\n${usage}`);
    return EXIT_USAGE;
  };

  let parsed: Values;
  let positionals: string[];
  try {
    ({ values: parsed, positionals } = parseCommandLine(argv));
  } catch (error) {
    // Name the command's usage when the rest of the line names one.
    const loose = parseArgs({ args: argv, allowPositionals: true, strict: false, options: OPTIONS });
    const found = resolve(loose.positionals);
    return usageError(parseErrorMessage(error as Error), found ? commandHelp(found.command) : USAGE);
  }
  const values = parsed;

  if (positionals[0] === 'help') positionals = positionals.slice(1);
  const wantsHelp = values.help === true || argv[0] === 'help';
  if (positionals.length === 0) {
    if (wantsHelp || argv.length === 0) {
      io.out(USAGE);
      return 0;
    }
    return usageError('no command given', USAGE);
  }

  const found = resolve(positionals);
  if (!found) {
    const group = positionals[0] as string;
    if (GROUPS.has(group)) {
      if (wantsHelp && positionals.length === 1) {
        io.out(groupHelp(group));
        return 0;
      }
      return usageError(
        positionals.length === 1 ? `'${group}' needs a subcommand` : `unknown command '${positionals.join(' ')}'`,
        groupHelp(group),
      );
    }
    return usageError(`unknown command '${positionals.join(' ')}'`, USAGE);
  }
  const { command, rest } = found;
  if (wantsHelp) {
    io.out(commandHelp(command));
    return 0;
  }

  const given = (Object.keys(values) as Array<keyof typeof OPTIONS>).filter(
    (name) => name !== 'help' && values[name] !== undefined,
  );
  const foreign = given.filter((name) => !(command.options as readonly string[]).includes(name));
  if (foreign.length > 0) {
    const names = foreign.map((name) => `'${flagName(name as OptionName)}'`).join(', ');
    return usageError(`${command.name} does not take ${names}`, commandHelp(command));
  }
  const maxArgs = command.arg ? 1 + (command.arg.more?.length ?? 0) : 0;
  if (rest.length > maxArgs)
    return usageError(`unexpected argument '${rest[maxArgs] ?? ''}' for ${command.name}`, commandHelp(command));
  if (command.arg?.required && rest.length < maxArgs) {
    const names = [command.arg.name, ...(command.arg.more ?? [])].map((name) => `<${name}>`).join(' ');
    return usageError(`${command.name} needs ${names}`, commandHelp(command));
  }

  const config = async (): Promise<ConfigWithFile> => {
    const { ConfigError, EXIT_INVALID_CONFIG, loadConfigOrExit } = await import('@matchflow/config');
    const loaded = loadConfigOrExit({
      env: process.env,
      cwd: process.cwd(),
      writeError: (text) => process.stderr.write(text),
      exit: (code) => process.exit(code),
    });
    // Settings of a stage no one registered are refused like any other bad key (the registry is
    // loaded only when there are stage settings to check).
    if (Object.keys(loaded.stages).length > 0) {
      const { defaultStageRegistry } = await import('@matchflow/pipeline');
      try {
        defaultStageRegistry().checkConfig(loaded);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        process.stderr.write(`${error.message}\n`);
        process.exit(EXIT_INVALID_CONFIG);
      }
    }
    return loaded;
  };
  try {
    return await command.run({ values, arg: rest[0], args: rest, config, io });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // Bad input (a missing flag, a bad file): the message says what; the help is one command away.
    io.err(`matchflow: ${error.message}\n(matchflow ${command.name} --help shows its usage)`);
    return EXIT_USAGE;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`matchflow: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = EXIT_FAILURE;
  },
);
