import { ERROR_BODIES } from '../faults.js';
import type { World } from '../world/build-world.js';
import type { Competition, Position, Season, Team } from '../world/model.js';
import { type Country, fieldTranslations } from '../world/names.js';
import { Random } from '../world/random.js';
import { renderCountry, renderSport, renderTournament, renderUniqueTournament } from './entities.js';

/*
 * `/player/{id}`: a football squad player's profile, the one thing the player-enrichment stage
 * asks for. Keys and their order follow the recorded response quoted in
 * tommhe14/sofascore-wrapper, `sofascore_wrapper/player.py` (`Player.get_player`, Bukayo Saka):
 * `{"player": {name, firstName, lastName, slug, shortName, team: {..., tournament,
 * primaryUniqueTournament, ..., entityType}, position, jerseyNumber, height, preferredFoot,
 * retired, userCount, gender, id, country, shirtNumber, dateOfBirthTimestamp,
 * contractUntilTimestamp, proposedMarketValue, proposedMarketValueRaw, fieldTranslations}}`.
 * Not `renderPlayer` (entities.ts): lineups embed a different set of keys in a different order
 * (`sofascoreId`, `marketValueCurrency`; no team, foot or contract).
 *
 * What the world does not hold (preferred foot, contract end, which fields the upstream leaves
 * out) is drawn from a stream of the player's own, seeded by the world's seed and the player's
 * id: nothing is drawn from the streams the world is built from, so every other answer stays
 * byte for byte what it was, and a profile does not depend on which players were asked for.
 */

export type PreferredFoot = 'Right' | 'Left' | 'Both';

/** Fields Sofascore leaves out of a profile when it does not know them (the key is absent). */
export const OMITTABLE_PROFILE_FIELDS = [
  'height',
  'preferredFoot',
  'dateOfBirthTimestamp',
  'country',
  'position',
] as const;
export type OmittableProfileField = (typeof OMITTABLE_PROFILE_FIELDS)[number];

/** Share of players whose profile leaves out one or more of `OMITTABLE_PROFILE_FIELDS`. */
export const INCOMPLETE_PROFILE_SHARE = 0.15;

/** Right, left, both: roughly the split among professional footballers. */
const FOOT_WEIGHTS: ReadonlyArray<[PreferredFoot, number]> = [
  ['Right', 0.72],
  ['Left', 0.23],
  ['Both', 0.05],
];

/** Contracts run to 30 June of one of these years. */
const CONTRACT_YEARS = [2026, 2030] as const;

/** A player's profile as `/player/{id}` serves it; a field left out by the upstream is undefined. */
export interface PlayerProfile {
  id: number;
  name: string;
  shortName: string;
  /** The player's club. */
  teamId: number;
  shirtNumber: number;
  position: Position | undefined;
  heightCm: number | undefined;
  preferredFoot: PreferredFoot | undefined;
  /** Unix seconds (midnight UTC). */
  dateOfBirthTimestamp: number | undefined;
  country: Country | undefined;
  marketValueEur: number;
  /** Unix seconds: 30 June of the contract's last year. */
  contractUntilTimestamp: number;
  /** The fields this profile leaves out, in `OMITTABLE_PROFILE_FIELDS` order; empty for most players. */
  missing: readonly OmittableProfileField[];
}

/**
 * The profile `/player/{playerId}` serves, without HTTP (tests compute what enrichment should
 * find, and which players are incomplete). Undefined for anyone who is not a football squad
 * player (tennis players are modelled as teams, and the upstream answers 404 for them here).
 * Pure: the same world seed and id give the same profile.
 */
export function playerProfileOf(world: World, playerId: number): PlayerProfile | undefined {
  const player = world.players.get(playerId);
  if (!player) return undefined;
  const random = Random.from(world.seed, `player-profile.${player.id}`);
  const preferredFoot = FOOT_WEIGHTS[random.weighted(FOOT_WEIGHTS.map(([, weight]) => weight))]?.[0] ?? 'Right';
  const contractYear = random.int(CONTRACT_YEARS[0], CONTRACT_YEARS[1]);
  const missing = random.chance(INCOMPLETE_PROFILE_SHARE)
    ? random.shuffle(OMITTABLE_PROFILE_FIELDS).slice(0, random.int(1, 3))
    : [];
  const known = <T>(field: OmittableProfileField, value: T): T | undefined =>
    missing.includes(field) ? undefined : value;
  return {
    id: player.id,
    name: player.name,
    shortName: player.shortName,
    teamId: player.teamId,
    shirtNumber: player.shirtNumber,
    position: known('position', player.position),
    heightCm: known('height', player.height),
    preferredFoot: known('preferredFoot', preferredFoot),
    dateOfBirthTimestamp: known('dateOfBirthTimestamp', player.dateOfBirthTimestamp),
    country: known('country', player.country),
    marketValueEur: player.marketValueEur,
    contractUntilTimestamp: Date.UTC(contractYear, 5, 30) / 1000,
    missing: OMITTABLE_PROFILE_FIELDS.filter((field) => missing.includes(field)),
  };
}

/** The answer to `/player/{id}`: 200 with the profile, or the upstream's 404. */
export function playerAnswer(world: World, id: string | undefined): { status: number; body: unknown } {
  const body = renderPlayerProfile(world, Number(id));
  return body ? { status: 200, body } : { status: 404, body: ERROR_BODIES[404] };
}

/** `{ player: {...} }` for a football squad player, undefined for anyone else. */
export function renderPlayerProfile(world: World, playerId: number) {
  const profile = playerProfileOf(world, playerId);
  const player = world.players.get(playerId);
  const team = player && world.teams.get(player.teamId);
  if (!profile || !player || !team) return undefined;
  return {
    player: {
      name: player.name,
      firstName: player.firstName,
      lastName: player.lastName,
      slug: player.slug,
      shortName: player.shortName,
      team: renderPlayerTeam(team, leagueOf(world, team.id)),
      ...(profile.position !== undefined ? { position: profile.position } : {}),
      jerseyNumber: String(player.shirtNumber),
      ...(profile.heightCm !== undefined ? { height: profile.heightCm } : {}),
      ...(profile.preferredFoot !== undefined ? { preferredFoot: profile.preferredFoot } : {}),
      retired: false,
      userCount: player.userCount,
      gender: 'M',
      id: player.id,
      ...(profile.country !== undefined ? { country: renderCountry(profile.country) } : {}),
      shirtNumber: player.shirtNumber,
      ...(profile.dateOfBirthTimestamp !== undefined ? { dateOfBirthTimestamp: profile.dateOfBirthTimestamp } : {}),
      contractUntilTimestamp: profile.contractUntilTimestamp,
      proposedMarketValue: player.marketValueEur,
      proposedMarketValueRaw: { value: player.marketValueEur, currency: 'EUR' },
      fieldTranslations: fieldTranslations(player.name, player.shortName),
    },
  };
}

interface League {
  competition: Competition;
  /** Its newest season: the one the club plays in now. */
  season: Season;
}

/** The recording's `team`: the club with its league (`tournament`, `primaryUniqueTournament`). */
function renderPlayerTeam(team: Team, league: League | undefined) {
  return {
    name: team.name,
    slug: team.slug,
    shortName: team.shortName,
    gender: 'M',
    sport: renderSport(team.sport),
    ...(league
      ? {
          tournament: renderTournament(league.competition, league.season, 'list'),
          primaryUniqueTournament: renderUniqueTournament(league.competition, 'list'),
        }
      : {}),
    userCount: team.userCount,
    nameCode: team.nameCode,
    disabled: false,
    national: false,
    type: team.type,
    id: team.id,
    country: renderCountry(team.country),
    entityType: 'team',
    teamColors: { ...team.colours },
    fieldTranslations: fieldTranslations(team.name, team.shortName),
  };
}

const leagueIndexes = new WeakMap<World, Map<number, League>>();

/**
 * The league each club plays in, by team id: built on first use from each league's newest
 * season (a few hundred matches a league, not the whole 100,000-match world); the world's
 * clubs and fixtures are fixed once it is built.
 */
function leagueOf(world: World, teamId: number): League | undefined {
  let index = leagueIndexes.get(world);
  if (!index) {
    index = new Map();
    for (const competition of world.competitions) {
      const season = competition.seasons.at(-1);
      if (competition.kind !== 'league' || !season) continue;
      for (const match of season.matches) {
        for (const team of [match.home, match.away]) {
          if (!index.has(team.id)) index.set(team.id, { competition, season });
        }
      }
    }
    leagueIndexes.set(world, index);
  }
  return index.get(teamId);
}
