import { type Config, loadConfig } from '@matchflow/config';
import { core, ratings, raw } from '@matchflow/db';
import { createTestDatabase, type TestDatabase, testBackends } from '@matchflow/db/testing';
import { type Fetcher, ingestSeasonFile, type SeasonFileJob } from '@matchflow/pipeline';
import { newRunId } from '@matchflow/queues';
import { ContractViolation, type FetchedPayload } from '@matchflow/sources';
import { createLogger } from '@matchflow/telemetry';
import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The season-file ingest stage over a small openfootball-shaped file served from memory: what
 * it writes to raw and core, that it is idempotent, that a corrected result marks ratings dirty
 * from that match, and that a broken file is quarantined without touching core.
 */

const serverUrl = process.env.TEST_DATABASE_URL;
const logger = createLogger({ service: 'test', level: 'silent' });

const config: Config = loadConfig(
  {},
  JSON.stringify({
    sources: { files: { kind: 'openfootball', baseUrl: 'http://127.0.0.1:9/', timezone: 'Europe/London' } },
    ratingPools: { football: {} },
    competitions: [
      { id: 'mini-league', source: 'files', competition: 'xx.1', seasons: ['2023-24'], ratingPool: 'football' },
    ],
  }),
);

type FileMatch = { round: string; date: string; time?: string; team1: string; team2: string; score?: object };

const MATCHES: FileMatch[] = [
  {
    round: 'Matchday 1',
    date: '2023-08-12',
    time: '15:00',
    team1: 'Alpha FC',
    team2: 'Bravo FC',
    score: { ft: [2, 1] },
  },
  {
    round: 'Matchday 1',
    date: '2023-08-12',
    time: '17:30',
    team1: 'Charlie FC',
    team2: 'Delta FC',
    score: { ft: [0, 0] },
  },
  {
    round: 'Matchday 2',
    date: '2023-08-19',
    time: '15:00',
    team1: 'Bravo FC',
    team2: 'Charlie FC',
    score: { ft: [1, 3] },
  },
  { round: 'Matchday 2', date: '2023-08-19', time: '15:00', team1: 'Delta FC', team2: 'Alpha FC', score: {} },
];

/** Serves whatever `body` currently is at the season file's path, counting requests. */
class MemoryFetcher implements Fetcher {
  readonly name = 'files';
  body: unknown = { name: 'Mini League 2023/24', matches: MATCHES };
  paths: string[] = [];
  async fetch(endpoint: string, path: string): Promise<FetchedPayload> {
    this.paths.push(path);
    const text = JSON.stringify(this.body);
    return {
      source: this.name,
      endpoint,
      url: path,
      status: 200,
      fetchedAt: new Date(),
      text,
      body: JSON.parse(text),
      headers: {},
    };
  }
}

const job = (mode: SeasonFileJob['mode'] = 'changed'): SeasonFileJob => ({
  runId: newRunId(),
  source: 'files',
  competitionId: 'mini-league',
  competition: 'xx.1',
  season: '2023-24',
  mode,
  trigger: 'cli',
});

describe.each(testBackends(process.env))('ingestSeasonFile on %s', (backend) => {
  let database: TestDatabase;
  const fetcher = new MemoryFetcher();
  const deps = () => ({ db: database.db, fetcher, config, logger });
  beforeAll(async () => {
    database = await createTestDatabase(backend, { serverUrl, label: 'season-file' });
  });
  afterAll(async () => {
    await database?.dispose();
  });

  const dump = async () =>
    JSON.stringify({
      participants: await database.db.select().from(core.participants).orderBy(asc(core.participants.id)),
      matches: await database.db.select().from(core.matches).orderBy(asc(core.matches.id)),
      payloads: await database.db.select({ id: raw.payloads.id }).from(raw.payloads).orderBy(asc(raw.payloads.id)),
    });

  it('stores the file once and writes every match into core, ratings dirty from the first result', async () => {
    const result = await ingestSeasonFile(deps(), job());
    expect(result).toEqual({ requests: 1, newPayload: true, matches: 4, written: 4, created: 4, resultsChanged: 3 });
    expect(fetcher.paths).toEqual(['/2023-24/xx.1.json']);
    const [payload] = await database.db.select().from(raw.payloads);
    expect(payload).toMatchObject({ endpoint: 'openfootball.season', key: 'xx.1.2023-24', quarantined: false });
    const matches = await database.db
      .select()
      .from(core.matches)
      .orderBy(asc(core.matches.startTime), asc(core.matches.homeId));
    expect(
      matches.map((match) => [match.homeId, match.awayId, match.status, match.homeScore, match.awayScore]),
    ).toEqual([
      ['files.team.alpha', 'files.team.bravo', 'finished', 2, 1],
      ['files.team.charlie', 'files.team.delta', 'finished', 0, 0],
      ['files.team.bravo', 'files.team.charlie', 'finished', 1, 3],
      ['files.team.delta', 'files.team.alpha', 'notstarted', null, null],
    ]);
    // 15:00 in London in August is 14:00 UTC.
    expect(matches[0]?.startTime.toISOString()).toBe('2023-08-12T14:00:00.000Z');
    const [dirty] = await database.db.select().from(ratings.dirtyMarkers);
    expect(dirty).toMatchObject({
      poolId: 'football',
      fromStartTime: matches[0]?.startTime,
      fromMatchId: matches[0]?.id,
    });
  });

  it('is idempotent: the same file again is one request and changes nothing, even in full mode', async () => {
    const before = await dump();
    expect(await ingestSeasonFile(deps(), job())).toMatchObject({ newPayload: false, written: 0, resultsChanged: 0 });
    expect(await ingestSeasonFile(deps(), job('full'))).toMatchObject({
      newPayload: false,
      written: 4,
      created: 0,
      resultsChanged: 0,
    });
    expect(await dump()).toBe(before);
  });

  it('marks ratings dirty from the earliest changed result when the file changes', async () => {
    await database.db.delete(ratings.dirtyMarkers);
    fetcher.body = {
      name: 'Mini League 2023/24',
      matches: MATCHES.map((match) =>
        match.team1 === 'Bravo FC'
          ? { ...match, score: { ft: [2, 3] } }
          : match.team1 === 'Delta FC'
            ? { ...match, score: { ft: [1, 1] } }
            : match,
      ),
    };
    const result = await ingestSeasonFile(deps(), job());
    expect(result).toMatchObject({ newPayload: true, written: 4, created: 0, resultsChanged: 2 });
    const [dirty] = await database.db.select().from(ratings.dirtyMarkers);
    // Both changed matches kick off together: the earlier id (byte-wise) is where ratings go stale.
    const changed = (await database.db.select().from(core.matches))
      .filter((match) => match.homeId === 'files.team.bravo' || match.homeId === 'files.team.delta')
      .map((match) => match.id)
      .sort();
    expect(changed).toHaveLength(2);
    expect(dirty?.fromStartTime.toISOString()).toBe('2023-08-19T14:00:00.000Z');
    expect(dirty?.fromMatchId).toBe(changed[0]);
  });

  it('quarantines a file that breaks its contract and leaves core as it was', async () => {
    const before = await database.db.select().from(core.matches).orderBy(asc(core.matches.id));
    fetcher.body = { name: 'Mini League 2023/24', matches: [{ round: 'Matchday 1', team1: 'Alpha FC' }] };
    await expect(ingestSeasonFile(deps(), job())).rejects.toBeInstanceOf(ContractViolation);
    const quarantined = (await database.db.select().from(raw.payloads)).filter((payload) => payload.quarantined);
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]?.contractError).toMatch(/date/);
    expect(await database.db.select().from(core.matches).orderBy(asc(core.matches.id))).toEqual(before);
  });
});
