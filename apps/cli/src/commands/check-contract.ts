import type { Config } from '@matchflow/config';
import {
  AppError,
  ContractViolation,
  classifyNetworkError,
  classifyResponse,
  FOOTBALL_DATA_PATHS,
  HttpClient,
  mapFootballDataMatch,
  mapSofascoreEvent,
  mapSofascoreIncidents,
  mapSofascoreLineups,
  mapSofascoreStatistics,
  SOFASCORE_PATHS,
} from '@matchflow/sources';
import { UsageError } from '../usage-error.js';

export interface CheckContractOptions {
  source: string | undefined;
  event: string | undefined;
}

interface Check {
  endpoint: string;
  path: string;
  /** Parse the body against the contract; throws ContractViolation when it breaks it. */
  validate: (body: unknown) => void;
  /** A 404 here means "not published yet", not a broken contract. */
  optional: boolean;
}

/**
 * `matchflow check-contract --source NAME --event ID`: fetch one event (and, for Sofascore, its
 * lineups, incidents and statistics) and report each contract violation. Exit 1 on any.
 * It makes a handful of requests directly, without the fleet limiter, so it needs no Redis.
 */
export async function checkContract(
  config: Config,
  options: CheckContractOptions,
  out: (line: string) => void,
): Promise<number> {
  if (!options.source || !options.event) throw new UsageError('check-contract needs --source NAME and --event ID');
  const settings = config.sources[options.source];
  if (!settings) {
    throw new UsageError(
      `unknown source '${options.source}' (configured: ${Object.keys(config.sources).join(', ') || 'none'})`,
    );
  }
  const event = options.event;
  const source = options.source;
  let checks: Check[];
  switch (settings.kind) {
    case 'sofascore': {
      const context = { source, matchSourceId: event, homeSourceId: 'home', awaySourceId: 'away' };
      checks = [
        {
          endpoint: 'event',
          path: SOFASCORE_PATHS.event(event),
          validate: (body) => mapSofascoreEvent(body, source),
          optional: false,
        },
        {
          endpoint: 'event.lineups',
          path: SOFASCORE_PATHS.lineups(event),
          validate: (body) => mapSofascoreLineups(body, context),
          optional: true,
        },
        {
          endpoint: 'event.incidents',
          path: SOFASCORE_PATHS.incidents(event),
          validate: (body) => mapSofascoreIncidents(body, context),
          optional: true,
        },
        {
          endpoint: 'event.statistics',
          path: SOFASCORE_PATHS.statistics(event),
          validate: (body) => mapSofascoreStatistics(body, context),
          optional: true,
        },
      ];
      break;
    }
    case 'football-data':
      checks = [
        {
          endpoint: 'match',
          path: FOOTBALL_DATA_PATHS.match(event),
          validate: (body) => mapFootballDataMatch(body, source),
          optional: false,
        },
      ];
      break;
    default:
      throw new UsageError(`check-contract works on single events; a ${settings.kind} source has none`);
  }

  const http = new HttpClient(settings, { connections: 1 });
  let violations = 0;
  let failures = 0;
  try {
    for (const check of checks) {
      const outcome = await runCheck(http, check, source);
      out(`${outcome.verdict.padEnd(13)} ${check.endpoint.padEnd(17)} ${outcome.detail}`);
      if (outcome.verdict === 'VIOLATION') violations += outcome.problems.length;
      if (outcome.verdict === 'ERROR') failures += 1;
      for (const problem of outcome.problems) out(`    ${problem}`);
    }
  } finally {
    await http.close();
  }
  out('');
  out(
    violations > 0
      ? `${violations} contract violation(s): docs/api-contract.md lists the fields matchflow depends on`
      : failures > 0
        ? 'could not check every endpoint'
        : 'every response meets its contract',
  );
  return violations > 0 || failures > 0 ? 1 : 0;
}

async function runCheck(
  http: HttpClient,
  check: Check,
  source: string,
): Promise<{ verdict: 'OK' | 'VIOLATION' | 'NOT PUBLISHED' | 'ERROR'; detail: string; problems: readonly string[] }> {
  const target = { source, endpoint: check.endpoint, url: check.path };
  let response: Awaited<ReturnType<HttpClient['get']>>;
  try {
    response = await http.get(check.path);
  } catch (error) {
    return { verdict: 'ERROR', detail: classifyNetworkError(error, target).message, problems: [] };
  }
  const problem = classifyResponse(response, { ...target, url: response.url }, Date.now());
  if (problem) {
    if (response.status === 404 && check.optional)
      return { verdict: 'NOT PUBLISHED', detail: `${response.url} (404)`, problems: [] };
    return { verdict: 'ERROR', detail: `${response.url}: ${problem.message}`, problems: [] };
  }
  try {
    check.validate(JSON.parse(response.text));
    return { verdict: 'OK', detail: response.url, problems: [] };
  } catch (error) {
    if (error instanceof ContractViolation)
      return { verdict: 'VIOLATION', detail: response.url, problems: error.problems };
    if (error instanceof SyntaxError)
      return { verdict: 'VIOLATION', detail: response.url, problems: ['(body): not JSON'] };
    if (error instanceof AppError) return { verdict: 'ERROR', detail: error.message, problems: [] };
    throw error;
  }
}
