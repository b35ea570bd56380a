import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Accounting, type AccountingSnapshot } from '../accounting.js';
import { ERROR_BODIES } from '../faults.js';
import { DEFAULT_NOW, type ReplayServer, startReplay } from '../server.js';
import { shapeOf, shortfalls } from '../testing/shape.js';
import { buildWorld, type World } from '../world/build-world.js';
import { handleApi } from './api.js';
import { INCOMPLETE_PROFILE_SHARE, OMITTABLE_PROFILE_FIELDS, type PlayerProfile, playerProfileOf } from './player.js';

/**
 * A trimmed copy of a real `GET /player/{id}` answer (Bukayo Saka), as quoted in
 * tommhe14/sofascore-wrapper `sofascore_wrapper/player.py` (`Player.get_player`): every key path
 * and value type kept, translations cut to one language.
 */
const RECORDED_PLAYER = {
  player: {
    name: 'Bukayo Saka',
    firstName: '',
    lastName: '',
    slug: 'bukayo-saka',
    shortName: 'B. Saka',
    team: {
      name: 'Arsenal',
      slug: 'arsenal',
      shortName: 'Arsenal',
      gender: 'M',
      sport: { name: 'Football', slug: 'football', id: 1 },
      tournament: {
        name: 'Premier League',
        slug: 'premier-league',
        category: {
          name: 'England',
          slug: 'england',
          sport: { name: 'Football', slug: 'football', id: 1 },
          id: 1,
          country: { alpha2: 'EN', alpha3: 'ENG', name: 'England', slug: 'england' },
          flag: 'england',
          alpha2: 'EN',
        },
        uniqueTournament: {
          name: 'Premier League',
          slug: 'premier-league',
          primaryColorHex: '#3c1c5a',
          secondaryColorHex: '#f80158',
          category: {
            name: 'England',
            slug: 'england',
            sport: { name: 'Football', slug: 'football', id: 1 },
            id: 1,
            country: { alpha2: 'EN', alpha3: 'ENG', name: 'England', slug: 'england' },
            flag: 'england',
            alpha2: 'EN',
          },
          userCount: 1_361_165,
          id: 17,
          country: {},
          displayInverseHomeAwayTeams: false,
          fieldTranslations: { nameTranslation: { ar: 'الدوري الإنجليزي الممتاز' }, shortNameTranslation: {} },
        },
        priority: 617,
        isLive: false,
        id: 1,
        fieldTranslations: { nameTranslation: { ar: 'الدوري الإنجليزي الممتاز' }, shortNameTranslation: {} },
      },
      primaryUniqueTournament: {
        name: 'Premier League',
        slug: 'premier-league',
        primaryColorHex: '#3c1c5a',
        secondaryColorHex: '#f80158',
        category: {
          name: 'England',
          slug: 'england',
          sport: { name: 'Football', slug: 'football', id: 1 },
          id: 1,
          country: { alpha2: 'EN', alpha3: 'ENG', name: 'England', slug: 'england' },
          flag: 'england',
          alpha2: 'EN',
        },
        userCount: 1_361_165,
        id: 17,
        country: {},
        displayInverseHomeAwayTeams: false,
        fieldTranslations: { nameTranslation: { ar: 'الدوري الإنجليزي الممتاز' }, shortNameTranslation: {} },
      },
      userCount: 2_341_486,
      nameCode: 'ARS',
      disabled: false,
      national: false,
      type: 0,
      id: 42,
      country: { alpha2: 'EN', alpha3: 'ENG', name: 'England', slug: 'england' },
      entityType: 'team',
      teamColors: { primary: '#cc0000', secondary: '#ffffff', text: '#ffffff' },
      fieldTranslations: { nameTranslation: { ar: 'ارسنال' }, shortNameTranslation: { ar: 'ارسنال' } },
    },
    position: 'F',
    jerseyNumber: '7',
    height: 178,
    preferredFoot: 'Left',
    retired: false,
    userCount: 168_684,
    gender: 'M',
    id: 934_235,
    country: { alpha2: 'EN', alpha3: 'ENG', name: 'England', slug: 'england' },
    shirtNumber: 7,
    dateOfBirthTimestamp: 999_648_000,
    contractUntilTimestamp: 1_814_313_600,
    proposedMarketValue: 157_000_000,
    proposedMarketValueRaw: { value: 157_000_000, currency: 'EUR' },
    fieldTranslations: { nameTranslation: { ar: 'بوكايو ساكا' }, shortNameTranslation: { ar: 'ب. ساكا' } },
  },
};

const now = Date.parse(DEFAULT_NOW) / 1000;

function answer(world: World, path: string) {
  return handleApi({ world, now, drift: undefined }, `/api/v1${path}`);
}

function profiles(world: World): PlayerProfile[] {
  return [...world.players.keys()].map((id) => playerProfileOf(world, id) as PlayerProfile);
}

/** Response bodies are loosely typed JSON; tests index into them. */
type PlayerBody = { player: Record<string, unknown> & { team: Record<string, unknown> } };

describe('/player/{id}', () => {
  const world = buildWorld({ seed: 7 });
  const all = profiles(world);
  const complete = all.find((profile) => profile.missing.length === 0) as PlayerProfile;
  const incomplete = all.filter((profile) => profile.missing.length > 0);

  it('answers a squad player with the recorded shape: club, position, height, foot, birth date, country, value', () => {
    const response = answer(world, `/player/${complete.id}`);
    expect(response).toMatchObject({ endpoint: 'player', status: 200 });
    const body = response.body as PlayerBody;
    expect(shortfalls(shapeOf(RECORDED_PLAYER), shapeOf(body))).toEqual([]);
    const player = world.players.get(complete.id);
    expect(body.player).toMatchObject({
      id: complete.id,
      name: player?.name,
      position: player?.position,
      height: player?.height,
      preferredFoot: complete.preferredFoot,
      dateOfBirthTimestamp: player?.dateOfBirthTimestamp,
      country: { alpha3: player?.country.alpha3 },
      shirtNumber: player?.shirtNumber,
      jerseyNumber: String(player?.shirtNumber),
      proposedMarketValueRaw: { value: player?.marketValueEur, currency: 'EUR' },
      team: { id: player?.teamId, entityType: 'team', tournament: { uniqueTournament: { id: 1001 } } },
    });
    // Key order follows the recording, so a diff against a real body reads naturally.
    expect(Object.keys(body.player)).toEqual(Object.keys(RECORDED_PLAYER.player));
  });

  it('leaves out, key and all, what an incomplete profile does not know', () => {
    for (const profile of incomplete) {
      const body = answer(world, `/player/${profile.id}`).body as PlayerBody;
      for (const field of OMITTABLE_PROFILE_FIELDS) {
        expect(field in body.player, `${profile.id} ${field}`).toBe(!profile.missing.includes(field));
      }
    }
  });

  it('makes about 15% of profiles incomplete, the same ones for the same seed, other ones for another seed', () => {
    const share = incomplete.length / all.length;
    expect(all.length).toBe(500);
    expect(share).toBeGreaterThan(INCOMPLETE_PROFILE_SHARE - 0.05);
    expect(share).toBeLessThan(INCOMPLETE_PROFILE_SHARE + 0.05);
    // Each omittable field is left out by someone; no incomplete profile leaves out everything.
    for (const field of OMITTABLE_PROFILE_FIELDS) {
      expect(
        incomplete.some((profile) => profile.missing.includes(field)),
        field,
      ).toBe(true);
    }
    expect(incomplete.every((profile) => profile.missing.length <= 3)).toBe(true);

    expect(profiles(buildWorld({ seed: 7 }))).toEqual(all);
    const otherSeed = profiles(buildWorld({ seed: 8 })).filter((profile) => profile.missing.length > 0);
    expect(otherSeed.map((profile) => profile.id)).not.toEqual(incomplete.map((profile) => profile.id));
  });

  it('derives the preferred foot for everyone, mostly right-footed', () => {
    const feet = all.map((profile) => profile.preferredFoot).filter((foot) => foot !== undefined);
    const right = feet.filter((foot) => foot === 'Right').length / feet.length;
    expect(new Set(feet)).toEqual(new Set(['Right', 'Left', 'Both']));
    expect(right).toBeGreaterThan(0.6);
    expect(right).toBeLessThan(0.85);
  });

  it('gives a Bench League player the same profile whatever the scale, and his league as tournament', () => {
    const small = buildWorld({ seed: 7, scale: { leagues: 1, seasons: 1 } });
    const large = buildWorld({ seed: 7, scale: { leagues: 2, seasons: 3 } });
    const benchPlayerId = 2_000_000 + 7;
    expect(playerProfileOf(large, benchPlayerId)).toEqual(playerProfileOf(small, benchPlayerId));
    expect(answer(large, `/player/${benchPlayerId}`).body).toEqual(answer(small, `/player/${benchPlayerId}`).body);
    const body = answer(large, `/player/${benchPlayerId}`).body as PlayerBody;
    expect(body.player.team).toMatchObject({ tournament: { uniqueTournament: { id: 10_001 } } });
    // The demo players are untouched by the scale leagues.
    expect(playerProfileOf(large, complete.id)).toEqual(complete);
  });

  it('answers 404 for unknown ids and for tennis players (teams, in the upstream model)', () => {
    const tennisPlayer = [...world.teams.values()].find((team) => team.sport === 'tennis');
    expect(tennisPlayer).toBeDefined();
    for (const id of [1, 99_999_999, tennisPlayer?.id]) {
      expect(answer(world, `/player/${id}`)).toEqual({ endpoint: 'player', status: 404, body: ERROR_BODIES[404] });
      expect(playerProfileOf(world, Number(id))).toBeUndefined();
    }
    expect(answer(world, '/player/abc').endpoint).toBe('unknown');
  });

  it('changes nothing else: an event and its lineups answer the same after every profile was served', () => {
    const before = buildWorld({ seed: 7 });
    const match = [...before.matches.values()].find((candidate) => candidate.fate === 'played') as { id: number };
    const paths = [`/event/${match.id}`, `/event/${match.id}/lineups`, `/event/${match.id}/incidents`];
    const expected = paths.map((path) => JSON.stringify(answer(before, path).body));
    for (const profile of all) answer(before, `/player/${profile.id}`);
    expect(paths.map((path) => JSON.stringify(answer(before, path).body))).toEqual(expected);
    expect(paths.map((path) => JSON.stringify(answer(world, path).body))).toEqual(expected);
  });
});

describe('accounting of /player/{id}', () => {
  it('counts requests per id as well as per endpoint', () => {
    const accounting = new Accounting(() => 0);
    accounting.begin('player', '100012')(200);
    accounting.begin('player', '100012')(429);
    accounting.begin('player', '100003')(200);
    accounting.begin('event')(200);
    expect(accounting.snapshot()).toMatchObject({
      byEndpoint: { player: { '200': 2, '429': 1 }, event: { '200': 1 } },
      byKey: { player: { '100003': { '200': 1 }, '100012': { '200': 1, '429': 1 } } },
    });
    accounting.reset();
    expect(accounting.snapshot().byKey).toEqual({});
  });

  describe('over HTTP', () => {
    let replay: ReplayServer;
    beforeAll(async () => {
      replay = await startReplay({ port: 0, seed: 7 });
    });
    afterAll(async () => {
      await replay?.close();
    });

    it('tells which player ids were fetched, and with what answer', async () => {
      const world = replay.world as World;
      const [first, second] = profiles(world);
      const paths = [`/player/${first?.id}`, `/player/${second?.id}`, `/player/${second?.id}`, '/player/1'];
      for (const path of paths) {
        const response = await fetch(`${replay.apiUrl}${path}`);
        await response.arrayBuffer();
      }
      await fetch(`${replay.apiUrl}/event/12000001`).then((response) => response.arrayBuffer());
      const served = (await (await fetch(`${replay.url}/_control/accounting`)).json()) as AccountingSnapshot;
      expect(served.byEndpoint.player).toEqual({ '200': 3, '404': 1 });
      expect(served.byKey).toEqual({
        player: { [String(first?.id)]: { '200': 1 }, [String(second?.id)]: { '200': 2 }, '1': { '404': 1 } },
      });
    });
  });
});
