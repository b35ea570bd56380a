#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { UsageError } from './usage-error.js';

// Commands, and the configuration, are imported when needed: the offline `ratings rate` should
// not pay for loading the config schema, the fleet, the database drivers and the replay upstream.

const USAGE = `usage: matchflow <command> [options]

commands:
  start [--once]     run everything in one process on embedded defaults (the demo when
                     no competitions are configured); --once exits after the first runs
  run --competition ID --season ID [--full] [--wait]
                     start a run for the worker processes (needs DATABASE_URL); --wait
                     follows it and exits 1 unless it ends ok
  rebuild --from-raw [--competition ID] [--json]
                     re-normalise the stored raw payloads into core (no upstream calls),
                     re-rate, rebuild and publish; exit 1 unless every season published
                     or was unchanged
  publish list [--all] [--json]
                     the published snapshots, newest first: version, content hash, rows,
                     quality score, which one is latest (--all: also those retention removed)
  publish rollback [--to VERSION] [--json]
                     move latest back to the previous snapshot, or to VERSION; its files are
                     checked first; exit 1 when there is nothing to roll back to
  config check       validate the configuration and summarise it
  db migrate         apply database migrations (safe to run from many processes)
  check-contract --source NAME --event ID
                     fetch one event (with lineups, incidents, statistics) and report every
                     contract violation; exit 1 when there is one
  ratings rate --input results.csv --params params.json [--out rated.csv] [--json]
                     rate a results file offline with the pipeline's Elo engine and report
                     its calibration (docs/ratings.md); needs no configuration

configuration: ./matchflow.yaml, or the file named by MATCHFLOW_CONFIG, plus MATCHFLOW_*,
REDIS_URL and DATABASE_URL overrides (see docs/setup.md). Invalid configuration exits 2.`;

/** Exit code for a bad command line or bad input (the same as for invalid configuration). */
const EXIT_USAGE = 2;

/** Exit code for a failure that is not the user's input (database unreachable, ...). */
const EXIT_FAILURE = 1;

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    process.stderr.write(`matchflow: ${(error as Error).message}\n\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  const { positionals, values } = parsed;
  const command = positionals.join(' ');
  if (values.help || command === '' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const knownCommands = [
    'start',
    'config check',
    'db migrate',
    'check-contract',
    'run',
    'ratings rate',
    'rebuild',
    'publish list',
    'publish rollback',
  ];
  if (!knownCommands.includes(command)) {
    process.stderr.write(`matchflow: unknown command '${command}'\n\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const usageErrors = async (run: () => Promise<number> | number): Promise<number> => {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      process.stderr.write(`matchflow: ${error.message}\n`);
      return EXIT_USAGE;
    }
  };

  if (command === 'ratings rate') {
    const { ratingsRate } = await import('./commands/ratings-rate.js');
    return usageErrors(() =>
      ratingsRate(
        { input: values.input, params: values.params, out: values.out, json: values.json ?? false },
        { out, err: (line) => process.stderr.write(`${line}\n`), stdout: (text) => process.stdout.write(text) },
      ),
    );
  }

  const { loadConfigOrExit } = await import('@matchflow/config');
  const config = loadConfigOrExit({
    env: process.env,
    cwd: process.cwd(),
    writeError: (text) => process.stderr.write(text),
    exit: (code) => process.exit(code),
  });
  switch (command) {
    case 'config check':
      return (await import('./commands/config-check.js')).checkConfig(config, out);
    case 'db migrate':
      return (await import('./commands/db-migrate.js')).migrateDatabase(config, out);
    case 'check-contract': {
      const { checkContract } = await import('./commands/check-contract.js');
      return usageErrors(() => checkContract(config, { source: values.source, event: values.event }, out));
    }
    case 'run': {
      const { runCommand } = await import('./commands/run.js');
      const options = {
        competition: values.competition,
        season: values.season,
        full: values.full ?? false,
        wait: values.wait ?? false,
      };
      return usageErrors(() => runCommand(config, options, out));
    }
    case 'rebuild': {
      const { rebuildCommand } = await import('./commands/rebuild.js');
      const options = {
        fromRaw: values['from-raw'] ?? false,
        competition: values.competition,
        json: values.json ?? false,
      };
      return usageErrors(() => rebuildCommand(config, options, out));
    }
    case 'publish list':
      return (await import('./commands/publish.js')).publishList(
        config,
        { json: values.json ?? false, all: values.all ?? false },
        out,
      );
    case 'publish rollback':
      return (await import('./commands/publish.js')).publishRollback(
        config,
        { to: values.to, json: values.json ?? false },
        out,
        (line) => process.stderr.write(`${line}\n`),
      );
    default:
      return (await import('./commands/start.js')).start(config, out, { once: values.once ?? false });
  }
}

function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
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
    },
  });
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
