#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  DEFAULT_NOW,
  MAX_SCALE,
  SCALE_SEASON_MATCHES,
  scaleProblems,
  startReplay,
  type WorldScale,
} from '@matchflow/replay';

const USAGE = `usage: matchflow-replay [options]

  --port N            port to listen on (default 4010; 0 picks a free one)
  --host H            address to bind (default 127.0.0.1)
  --seed N            world seed (default 7): same seed, byte-identical responses
  --now T             simulated start time, ISO-8601 or Unix seconds (default ${DEFAULT_NOW})
  --clock-rate R      simulated seconds per real second (default 0: frozen; move it with POST /_control/clock)
  --faults JSON       initial faults, e.g. '{"rateLimit":{"ratePerSec":5,"burst":5}}'
  --faults-file F     the same, from a JSON file
  --static DIR        serve DIR's files instead of the Sofascore API (same faults and accounting)
  --scale LxS         add L Bench Leagues of S seasons each (${SCALE_SEASON_MATCHES} matches a season; at most
                      ${MAX_SCALE.leagues}x${MAX_SCALE.seasons}), e.g. 27x10 = 102,600 matches, for benchmarks at scale

docs/replay-api.md lists the endpoints, the control API and every fault knob.`;

function main(): void {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse().values;
  } catch (error) {
    process.stderr.write(`matchflow-replay: ${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const numeric = (name: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isFinite(value)) {
      process.stderr.write(`matchflow-replay: --${name} must be a number, got '${text}'\n`);
      process.exit(2);
    }
    return value;
  };
  const scale = values.scale === undefined ? undefined : parseScale(values.scale);
  if (typeof scale === 'string') {
    process.stderr.write(`matchflow-replay: --scale ${scale}\n`);
    process.exit(2);
  }
  if (scale && values.static) {
    process.stderr.write('matchflow-replay: --scale adds to the simulated world; it does not go with --static\n');
    process.exit(2);
  }
  let faults: unknown;
  try {
    if (values.faults) faults = JSON.parse(values.faults);
    if (values['faults-file']) faults = JSON.parse(readFileSync(values['faults-file'], 'utf8'));
  } catch (error) {
    process.stderr.write(`matchflow-replay: faults are not valid JSON: ${(error as Error).message}\n`);
    process.exit(2);
  }
  startReplay({
    port: numeric('port', values.port) ?? 4010,
    host: values.host ?? '127.0.0.1',
    seed: numeric('seed', values.seed) ?? 7,
    now: values.now ?? DEFAULT_NOW,
    clockRate: numeric('clock-rate', values['clock-rate']) ?? 0,
    faults: faults as never,
    staticDir: values.static,
    ...(scale ? { scale } : {}),
  }).then(
    (replay) => {
      const what = values.static ? `serving ${values.static}` : `Sofascore-shaped API at ${replay.apiUrl}`;
      const size = scale
        ? `, ${replay.world?.matches.size ?? 0} matches with ${scale.leagues}x${scale.seasons} Bench League seasons`
        : '';
      process.stdout.write(
        `matchflow-replay: ${what} (seed ${values.seed ?? 7}${size}, now ${new Date(replay.clock.now() * 1000).toISOString()}); control at ${replay.url}/_control/state\n`,
      );
      const stop = () => {
        replay.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error: unknown) => {
      process.stderr.write(`matchflow-replay: ${(error as Error).message}\n`);
      process.exit(error instanceof Error && 'issues' in error ? 2 : 1);
    },
  );
}

/** `27x10` -> 27 leagues of 10 seasons; a string says what is wrong. */
function parseScale(text: string): WorldScale | string {
  const match = /^(\d+)x(\d+)$/i.exec(text.trim());
  if (!match) return `must be LEAGUESxSEASONS, e.g. 27x10, not '${text}'`;
  const scale = { leagues: Number(match[1]), seasons: Number(match[2]) };
  const problems = scaleProblems(scale);
  return problems.length > 0 ? `'${text}': ${problems.join('; ')}` : scale;
}

function parse() {
  return parseArgs({
    options: {
      help: { type: 'boolean', short: 'h' },
      port: { type: 'string' },
      host: { type: 'string' },
      seed: { type: 'string' },
      now: { type: 'string' },
      'clock-rate': { type: 'string' },
      faults: { type: 'string' },
      'faults-file': { type: 'string' },
      static: { type: 'string' },
      scale: { type: 'string' },
    },
  });
}

main();
