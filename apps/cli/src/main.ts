#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { EXIT_INVALID_CONFIG, loadConfigOrExit } from '@matchflow/config';
import { checkContract, UsageError } from './commands/check-contract.js';
import { checkConfig } from './commands/config-check.js';
import { migrateDatabase } from './commands/db-migrate.js';
import { runCommand } from './commands/run.js';
import { start } from './commands/start.js';

const USAGE = `usage: matchflow <command> [options]

commands:
  start [--once]     run everything in one process on embedded defaults (the demo when
                     no competitions are configured); --once exits after the first runs
  run --competition ID --season ID [--full] [--wait]
                     start a run for the worker processes (needs DATABASE_URL); --wait
                     follows it and exits 1 unless it ends ok
  config check       validate the configuration and summarise it
  db migrate         apply database migrations (safe to run from many processes)
  check-contract --source NAME --event ID
                     fetch one event (with lineups, incidents, statistics) and report every
                     contract violation; exit 1 when there is one

configuration: ./matchflow.yaml, or the file named by MATCHFLOW_CONFIG, plus MATCHFLOW_*,
REDIS_URL and DATABASE_URL overrides (see docs/setup.md). Invalid configuration exits 2.`;

/** Exit code for a failure that is not the user's input (database unreachable, ...). */
const EXIT_FAILURE = 1;

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    process.stderr.write(`matchflow: ${(error as Error).message}\n\n${USAGE}\n`);
    return EXIT_INVALID_CONFIG;
  }
  const { positionals, values } = parsed;
  const command = positionals.join(' ');
  if (values.help || command === '' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const knownCommands = ['start', 'config check', 'db migrate', 'check-contract', 'run'];
  if (!knownCommands.includes(command)) {
    process.stderr.write(`matchflow: unknown command '${command}'\n\n${USAGE}\n`);
    return EXIT_INVALID_CONFIG;
  }

  const config = loadConfigOrExit({
    env: process.env,
    cwd: process.cwd(),
    writeError: (text) => process.stderr.write(text),
    exit: (code) => process.exit(code),
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  switch (command) {
    case 'config check':
      return checkConfig(config, out);
    case 'db migrate':
      return migrateDatabase(config, out);
    case 'check-contract':
    case 'run':
      try {
        return command === 'run'
          ? await runCommand(
              config,
              {
                competition: values.competition,
                season: values.season,
                full: values.full ?? false,
                wait: values.wait ?? false,
              },
              out,
            )
          : await checkContract(config, { source: values.source, event: values.event }, out);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        process.stderr.write(`matchflow: ${error.message}\n`);
        return EXIT_INVALID_CONFIG;
      }
    default:
      return start(config, out, { once: values.once ?? false });
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
