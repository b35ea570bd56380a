import { createHash } from 'node:crypto';
import {
  type CanonicalBatch,
  type CanonicalCompetition,
  type CanonicalMatch,
  type CanonicalParticipant,
  type CanonicalSeason,
  emptyBatch,
  type MatchStatus,
  type Score,
  type StatusDetail,
} from '../canonical.js';
import { OPENFOOTBALL_TIME, type OpenfootballMatch, OpenfootballSeason } from '../contracts/openfootball.js';
import { parseContract } from '../contracts/validate.js';
import { zonedTimeToUtc } from './zoned-time.js';

/** Endpoint names of openfootball requests (limiter, accounting, and `raw.payloads.endpoint`). */
export const OPENFOOTBALL_ENDPOINTS = {
  /** One season file: every match of a competition-season. */
  season: 'openfootball.season',
} as const;

/** Request paths of openfootball's football.json files, relative to the source's `baseUrl`. */
export const OPENFOOTBALL_PATHS = {
  /** `season` as the repository's folders spell it (`2024-25`), `competition` as its files (`en.1`). */
  season: (season: string, competition: string) => `/${season}/${competition}.json`,
} as const;

/** What the caller knows that the file does not say. */
export interface OpenfootballSeasonOptions {
  /** The configured source name, copied onto every record. */
  source: string;
  /** The file's competition code, e.g. `en.1`; becomes the competition's sourceId. */
  competition: string;
  /** The season folder, e.g. `2024-25`; becomes the season's sourceId. */
  season: string;
  /** IANA zone of the file's local kick-off times (the source's `timezone` setting). */
  timezone: string;
}

/**
 * Kick-off assumed when a fixture has no time yet, in local time. Unfixed fixtures are usually
 * the ones waiting for a TV pick; 15:00 is the traditional Saturday slot and keeps the match on
 * its local date in UTC. The time is replaced as soon as the file gives one.
 */
const DEFAULT_KICKOFF = { hour: 15, minute: 0 } as const;

/** Legal-form words that openfootball added to most names in 2020-21 (`Arsenal` -> `Arsenal FC`). */
const CLUB_FORM_WORDS: ReadonlySet<string> = new Set(['fc', 'afc', 'cf']);

const ROUND_NUMBER = /^(?:matchday|round|week|spieltag|jornada|giornata|journée)\s*(\d+)$/i;

/** A trailing season label in a file's name: `English Premier League 2024/25`. */
const SEASON_SUFFIX = /\s+(\d{4}(?:[/-]\d{2,4})?)$/;

/**
 * One openfootball season file (`/2024-25/en.1.json`) as canonical records: the competition, the
 * season, every team, every match. Kick-off times are local to `options.timezone` unless the file
 * gives an offset; a match with no score yet is `notstarted` whatever its date (the adapter does
 * not read the clock).
 *
 * @throws ContractViolation when the body lacks a field we read.
 * @throws RangeError when `options.timezone` is not a known IANA zone.
 */
export function mapOpenfootballSeason(body: unknown, options: OpenfootballSeasonOptions): CanonicalBatch {
  const { source, season } = options;
  const checked = parseContract(OpenfootballSeason, body, { source, endpoint: 'season' });
  const batch = emptyBatch();
  const seasonLabel = SEASON_SUFFIX.exec(checked.name)?.[1] ?? season;
  batch.competitions.push(competitionRecord(checked.name.replace(SEASON_SUFFIX, ''), options));
  batch.seasons.push(seasonRecord(seasonLabel, options));

  const participants = new Map<string, CanonicalParticipant>();
  const meetings = new Map<string, number>();
  for (const match of checked.matches) {
    const homeSourceId = openfootballTeamId(match.team1);
    const awaySourceId = openfootballTeamId(match.team2);
    for (const [sourceId, name] of [
      [homeSourceId, match.team1],
      [awaySourceId, match.team2],
    ] as const) {
      if (!participants.has(sourceId)) participants.set(sourceId, teamRecord(sourceId, name, source));
    }
    const pair = `${homeSourceId}\n${awaySourceId}`;
    const meeting = (meetings.get(pair) ?? 0) + 1;
    meetings.set(pair, meeting);
    batch.matches.push(matchRecord(match, homeSourceId, awaySourceId, meeting, options));
  }
  batch.participants.push(...participants.values());
  return batch;
}

/**
 * A team's sourceId, from its name: openfootball has no ids. Lowercased, accents and punctuation
 * dropped, and the legal-form words FC/AFC/CF removed, so `Manchester United` (until 2019-20) and
 * `Manchester United FC` (since 2020-21) are one team. Other renames still split a team in two
 * (`Bayer Leverkusen` / `Bayer 04 Leverkusen`, `Real Betis` / `Real Betis Balompié`); linking
 * those is the pipeline's job, through its mapping to core participants. Changing this function
 * changes every openfootball id, participants and matches alike.
 */
export function openfootballTeamId(name: string): string {
  const words = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replaceAll('&', ' and ')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '');
  const significant = words.filter((word) => !CLUB_FORM_WORDS.has(word));
  const id = (significant.length > 0 ? significant : words).join('-');
  return id === '' ? name.trim().toLowerCase() : id;
}

/**
 * A match's sourceId: the first 16 hex digits of a SHA-256 over competition, season and the
 * home and away team ids. The date is deliberately left out: openfootball moves a postponed
 * match to its new date, and an id that changed with it would leave a phantom `postponed`
 * match behind. In a league each ordered pair meets once a season; where a file pairs the same
 * home and away sides again (tournaments, play-offs), `meeting` (1, 2, ... in file order)
 * tells them apart.
 */
function matchSourceId(
  homeSourceId: string,
  awaySourceId: string,
  meeting: number,
  options: OpenfootballSeasonOptions,
): string {
  const key = [
    options.competition,
    options.season,
    homeSourceId,
    awaySourceId,
    ...(meeting > 1 ? [String(meeting)] : []),
  ].join('\n');
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

function competitionRecord(name: string, options: OpenfootballSeasonOptions): CanonicalCompetition {
  // Files are named after the country's code and the division (`en.1`, `de.1`, `sco.1`).
  const countryCode = /^([a-z]{2,3})\.\d+$/.exec(options.competition)?.[1];
  return {
    source: options.source,
    sourceId: options.competition,
    name,
    sport: 'football',
    country: countryCode?.toUpperCase(),
  };
}

function seasonRecord(label: string, options: OpenfootballSeasonOptions): CanonicalSeason {
  return {
    source: options.source,
    sourceId: options.season,
    competitionSourceId: options.competition,
    name: label,
    year: options.season,
  };
}

function teamRecord(sourceId: string, name: string, source: string): CanonicalParticipant {
  return { source, sourceId, kind: 'team', name, shortName: undefined, country: undefined };
}

function matchRecord(
  match: OpenfootballMatch,
  homeSourceId: string,
  awaySourceId: string,
  meeting: number,
  options: OpenfootballSeasonOptions,
): CanonicalMatch {
  const afterNinety = pairToScore(match.score?.ft);
  const afterExtraTime = pairToScore(match.score?.et);
  const shootout = pairToScore(match.score?.p);
  const score = afterExtraTime ?? afterNinety;
  const { status, statusDetail } = statusOf(
    match,
    score !== undefined,
    afterExtraTime !== undefined,
    shootout !== undefined,
  );
  const roundNumber = ROUND_NUMBER.exec(match.round.trim())?.[1];
  return {
    source: options.source,
    sourceId: matchSourceId(homeSourceId, awaySourceId, meeting, options),
    competitionSourceId: options.competition,
    seasonSourceId: options.season,
    sport: 'football',
    startTime: kickoffTime(match, options.timezone),
    status,
    statusDetail,
    homeSourceId,
    awaySourceId,
    score: status === 'finished' ? score : undefined,
    regularTimeScore: status === 'finished' ? afterNinety : undefined,
    penalties: status === 'finished' ? shootout : undefined,
    periods: [],
    winner: status === 'finished' ? winnerOf(shootout ?? score) : undefined,
    // League files say nothing about venues; a neutral ground is rare enough in a league to ignore.
    neutral: false,
    surface: undefined,
    round: roundNumber === undefined ? undefined : Number(roundNumber),
    roundName: match.round,
    // The files carry no change times; a changed file is the only sign of a changed match.
    sourceChangedAt: undefined,
  };
}

function statusOf(
  match: OpenfootballMatch,
  played: boolean,
  wentToExtraTime: boolean,
  hadShootout: boolean,
): { status: MatchStatus; statusDetail: StatusDetail } {
  // `status` marks the exceptions; anything we do not know falls through to the score.
  switch (match.status?.trim().toLowerCase()) {
    case 'awarded':
      return { status: 'finished', statusDetail: 'awarded' };
    case 'postponed':
      return { status: 'postponed', statusDetail: undefined };
    case 'cancelled':
    case 'canceled':
      return { status: 'canceled', statusDetail: undefined };
  }
  if (!played) return { status: 'notstarted', statusDetail: undefined };
  if (hadShootout) return { status: 'finished', statusDetail: 'after-penalties' };
  return { status: 'finished', statusDetail: wentToExtraTime ? 'after-extra-time' : 'regular' };
}

/** Kick-off as a UTC instant: the file's offset when it gives one, else the source's zone. */
function kickoffTime(match: OpenfootballMatch, timezone: string): Date {
  const [year = Number.NaN, month = Number.NaN, day = Number.NaN] = match.date.split('-').map(Number);
  const time = match.time === undefined ? null : OPENFOOTBALL_TIME.exec(match.time);
  if (time === null) return zonedTimeToUtc({ year, month, day, ...DEFAULT_KICKOFF }, timezone);
  const [, hour, minute, utc, sign, offsetHours, offsetMinutes] = time;
  const local = { year, month, day, hour: Number(hour), minute: Number(minute) };
  if (utc === undefined) return zonedTimeToUtc(local, timezone);
  const offsetMs = (sign === '-' ? -1 : 1) * (Number(offsetHours ?? 0) * 60 + Number(offsetMinutes ?? 0)) * 60_000;
  return new Date(Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute) - offsetMs);
}

function pairToScore(pair: readonly [number, number] | undefined): Score | undefined {
  return pair === undefined ? undefined : { home: pair[0], away: pair[1] };
}

function winnerOf(deciding: Score | undefined): CanonicalMatch['winner'] {
  if (deciding === undefined) return undefined;
  if (deciding.home > deciding.away) return 'home';
  if (deciding.home < deciding.away) return 'away';
  return 'draw';
}
