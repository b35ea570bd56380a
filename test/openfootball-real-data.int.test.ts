import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Config, loadConfig } from '@matchflow/config';
import { core, ops } from '@matchflow/db';
import { createTestDatabase, type TestDatabase, testBackends } from '@matchflow/db/testing';
import { Fleet, triggerRun } from '@matchflow/pipeline';
import { type ReplayServer, startReplay } from '@matchflow/replay';
import { createLogger } from '@matchflow/telemetry';
import { testRedis } from '@matchflow/testing';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/*
 * Real data through the real fleet: openfootball's Premier League 2023-24 file, served by the
 * replay's static mode, discovered and ingested as one season file, rated, built and published.
 * The published table must be the official one, points deductions included. Needs
 * ../shared/fixtures/openfootball; skips, saying so, without it.
 */

const FIXTURES = fileURLToPath(new URL('../../shared/fixtures/openfootball/', import.meta.url));
const haveFixtures = existsSync(FIXTURES);
if (!haveFixtures) console.warn(`[openfootball real data] ${FIXTURES} not found: tests skipped`);

const serverUrl = process.env.TEST_DATABASE_URL;
const logger = createLogger({ service: 'test', level: 'silent' });
const SEASON_ID = 'premier-league.2023-24';

/** The official final table of the 2023-24 Premier League (Everton −8, Nottingham Forest −4). */
const OFFICIAL = `
 1 Manchester City          28  7  3  96  34  91
 2 Arsenal                  28  5  5  91  29  89
 3 Liverpool                24 10  4  86  41  82
 4 Aston Villa              20  8 10  76  61  68
 5 Tottenham Hotspur        20  6 12  74  61  66
 6 Chelsea                  18  9 11  77  63  63
 7 Newcastle United         18  6 14  85  62  60
 8 Manchester United        18  6 14  57  58  60
 9 West Ham United          14 10 14  60  74  52
10 Crystal Palace           13 10 15  57  58  49
11 Brighton & Hove Albion   12 12 14  55  62  48
12 Bournemouth              13  9 16  54  67  48
13 Fulham                   13  8 17  55  61  47
14 Wolverhampton Wanderers  13  7 18  50  65  46
15 Everton                  13  9 16  40  51  40
16 Brentford                10  9 19  56  65  39
17 Nottingham Forest         9  9 20  49  67  32
18 Luton Town                6  8 24  52  85  26
19 Burnley                   5  9 24  41  78  24
20 Sheffield United          3  7 28  35 104  16`
  .trim()
  .split('\n')
  .map((line) => {
    const match = /^\s*(\d+)\s+(.+?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/.exec(line);
    if (!match) throw new Error(`bad official line: ${line}`);
    const [, position, team, won, drawn, lost, goalsFor, goalsAgainst, points] = match;
    return {
      position: Number(position),
      team: team as string,
      played: 38,
      won: Number(won),
      drawn: Number(drawn),
      lost: Number(lost),
      goals_for: Number(goalsFor),
      goals_against: Number(goalsAgainst),
      points: Number(points),
    };
  });

/** openfootball's names carry the legal form (`Arsenal FC`, `AFC Bournemouth`); the official table does not. */
function officialName(name: string): string {
  return name
    .replace(/\b(?:A?FC)\b/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

interface StandingLine {
  season_id: string;
  position: number;
  team_id: string;
  team_name: string;
  played: number;
  won: number;
  drawn: number;
  lost: number;
  goals_for: number;
  goals_against: number;
  goal_difference: number;
  points: number;
  adjustment: number;
}

function readNdjson<Row>(file: string): Row[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Row);
}

/** What a consumer sees: the snapshot `latest` names (docs/consumption.md). */
function latestSnapshot(publishDir: string): string {
  return path.join(publishDir, readFileSync(path.join(publishDir, 'latest'), 'utf8').trim());
}

describe.skipIf(!haveFixtures)('openfootball real data: Premier League 2023-24', () => {
  function realDataConfig(replay: ReplayServer, prefix: string, publishDir: string): Config {
    return loadConfig(
      {},
      JSON.stringify({
        redis: { prefix },
        publishDir,
        sources: {
          openfootball: { kind: 'openfootball', baseUrl: replay.url, timezone: 'Europe/London' },
        },
        ratingPools: { football: { preset: 'football' } },
        competitions: [
          {
            id: 'premier-league',
            source: 'openfootball',
            competition: 'en.1',
            seasons: ['2023-24'],
            ratingPool: 'football',
            standings: {
              tiebreakers: ['points', 'goalDifference', 'goalsFor'],
              // The adapter's team ids come from the names: `Everton FC` -> `everton`.
              adjustments: [
                { team: 'everton', season: '2023-24', points: -8, reason: 'profit and sustainability breaches' },
                {
                  team: 'nottingham-forest',
                  season: '2023-24',
                  points: -4,
                  reason: 'profit and sustainability breach',
                },
              ],
            },
          },
        ],
        workers: { shutdownTimeoutMs: 5000 },
      }),
    );
  }

  describe.each(testBackends(process.env))('on %s', (backend) => {
    let replay: ReplayServer;
    let database: TestDatabase;
    let fleet: Fleet;
    let config: Config;
    const redis = testRedis(undefined, `openfootball-${backend}`);
    const publishDir = mkdtempSync(path.join(tmpdir(), `matchflow-openfootball-${backend}-`));

    beforeAll(async () => {
      // A replay of its own per backend: its accounting counts this backend's requests only.
      replay = await startReplay({ port: 0, staticDir: FIXTURES });
      database = await createTestDatabase(backend, { serverUrl, label: 'openfootball' });
      config = realDataConfig(replay, redis.prefix, publishDir);
      fleet = Fleet.start({ config, db: database.db, logger });
    });
    afterAll(async () => {
      await fleet?.stop(5_000);
      await replay?.close();
      await database?.dispose();
      await redis.cleanup();
      rmSync(publishDir, { recursive: true, force: true });
    });

    async function run(mode: 'changed' | 'full') {
      const started = await triggerRun(
        { db: database.db, producer: fleet.producer, config },
        { competitionId: 'premier-league', season: '2023-24', mode, trigger: 'cli' },
      );
      if (started.outcome !== 'started') throw new Error('run not started');
      let closed: typeof ops.pipelineRuns.$inferSelect | undefined;
      await vi.waitFor(
        async () => {
          [closed] = await database.db.select().from(ops.pipelineRuns).where(eq(ops.pipelineRuns.runId, started.runId));
          expect(closed?.status).not.toBe('running');
        },
        { timeout: 60_000, interval: 100 },
      );
      const stages = await database.db.select().from(ops.stageRuns).where(eq(ops.stageRuns.runId, started.runId));
      return { run: closed as typeof ops.pipelineRuns.$inferSelect, stages };
    }

    it('publishes the official final table from one request', async () => {
      const { run: first, stages } = await run('changed');
      expect(first).toMatchObject({
        status: 'ok',
        failedStage: null,
        counters: { matches: 380, failedMatches: [], standings: 20, publish: 'published' },
      });
      expect(stages.find((stage) => stage.stage === 'ingest')).toMatchObject({
        scopeKey: SEASON_ID,
        status: 'ok',
        counters: { requests: 1, newPayloads: 1, matches: 380, created: 380, resultsChanged: 380 },
      });
      expect(stages.find((stage) => stage.stage === 'ratings')).toMatchObject({
        status: 'ok',
        counters: { matches: 380 },
      });
      const served = (await (await fetch(`${replay.url}/_control/accounting`)).json()) as { byEndpoint: unknown };
      expect(served.byEndpoint).toEqual({ static: { '200': 1 } });

      const finished = await database.db
        .select({ id: core.matches.id })
        .from(core.matches)
        .where(and(eq(core.matches.seasonId, SEASON_ID), eq(core.matches.status, 'finished')));
      expect(finished).toHaveLength(380);

      const snapshot = latestSnapshot(publishDir);
      expect(path.basename(snapshot)).toBe((first.counters as { snapshot?: string }).snapshot);
      const matches = readNdjson<{ season_id: string; status: string }>(path.join(snapshot, 'matches.ndjson'));
      expect(matches.filter((match) => match.season_id === SEASON_ID && match.status === 'finished')).toHaveLength(380);
      const table = readNdjson<StandingLine>(path.join(snapshot, 'standings.ndjson'))
        .filter((row) => row.season_id === SEASON_ID)
        .sort((a, b) => a.position - b.position);
      expect(
        table.map((row) => ({
          position: row.position,
          team: officialName(row.team_name),
          played: row.played,
          won: row.won,
          drawn: row.drawn,
          lost: row.lost,
          goals_for: row.goals_for,
          goals_against: row.goals_against,
          points: row.points,
        })),
      ).toEqual(OFFICIAL);
      const adjusted = table.filter((row) => row.adjustment !== 0);
      expect(adjusted.map((row) => [row.team_id, row.adjustment])).toEqual([
        ['openfootball.team.everton', -8],
        ['openfootball.team.nottingham-forest', -4],
      ]);
      // The CSV carries the same table.
      const csv = readFileSync(path.join(snapshot, 'standings.csv'), 'utf8');
      expect(csv).toContain(',1,openfootball.team.manchester-city,Manchester City FC,38,28,7,3,96,34,62,91,0,');
    }, 90_000);

    it('is idempotent: an unchanged file is one request and no work, a full run republishes nothing new', async () => {
      const before = readFileSync(path.join(publishDir, 'latest'), 'utf8');
      const unchanged = await run('changed');
      expect(unchanged.run).toMatchObject({ status: 'ok', counters: { matches: 0 } });
      expect(unchanged.stages.find((stage) => stage.stage === 'ingest')).toMatchObject({
        status: 'ok',
        counters: { requests: 1, newPayloads: 0, matches: 0, resultsChanged: 0 },
      });
      expect(unchanged.stages.map((stage) => stage.stage).sort()).toEqual(['discover', 'ingest']);

      const full = await run('full');
      expect(full.run).toMatchObject({ status: 'ok', counters: { matches: 380, publish: 'unchanged' } });
      expect(full.stages.find((stage) => stage.stage === 'ingest')).toMatchObject({
        counters: { newPayloads: 0, matches: 380, created: 0, resultsChanged: 0 },
      });
      expect(full.stages.find((stage) => stage.stage === 'ratings')).toMatchObject({ counters: { matches: 0 } });
      expect(readFileSync(path.join(publishDir, 'latest'), 'utf8')).toBe(before);
    }, 90_000);
  });
});
