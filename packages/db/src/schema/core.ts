import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

/**
 * Core zone: normalised, source-independent records. Ids are deterministic text
 * (`{source}.{kind}.{upstreamId}` unless a mapping says otherwise) so that re-normalising from
 * raw reproduces the same rows.
 */
export const coreZone = pgSchema('core');

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
};

/**
 * Lineage: SHA-256 of the raw payload (`raw.payloads.sha256`) the row was last written from; null
 * for rows written before lineage was recorded, or from config (competitions have none).
 */
const rawSha256 = () => text('raw_sha256');
/** `raw_sha256` is lower-case hex when set. */
const rawSha256Hex = (name: string, column: AnyPgColumn) =>
  check(name, sql`${column} IS NULL OR ${column} ~ '^[0-9a-f]{64}$'`);

export const competitions = coreZone.table('competitions', {
  /** The competition id from config (`demo-league`). */
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  sport: text('sport').notNull(),
  ...timestamps,
});

export const seasons = coreZone.table(
  'seasons',
  {
    id: text('id').primaryKey(),
    competitionId: text('competition_id')
      .notNull()
      .references(() => competitions.id),
    name: text('name').notNull(),
    year: text('year'),
    rawSha256: rawSha256(),
    ...timestamps,
  },
  (table) => [
    index('seasons_competition').on(table.competitionId),
    rawSha256Hex('seasons_raw_sha256_hex', table.rawSha256),
  ],
);

export const participants = coreZone.table(
  'participants',
  {
    id: text('id').primaryKey(),
    /** `team` or `player`. */
    kind: text('kind').notNull(),
    name: text('name').notNull(),
    shortName: text('short_name'),
    country: text('country'),
    rawSha256: rawSha256(),
    ...timestamps,
  },
  (table) => [
    check('participants_kind', sql`${table.kind} IN ('team', 'player')`),
    rawSha256Hex('participants_raw_sha256_hex', table.rawSha256),
    // The `players` stage walks players in byte-wise id order from its checkpoint (an id).
    index('participants_players_bytewise').on(sql`${table.id} COLLATE "C"`).where(sql`${table.kind} = 'player'`),
  ],
);

/** Which upstream id stands for which core record. */
export const sourceIds = coreZone.table(
  'source_ids',
  {
    source: text('source').notNull(),
    /** `competition`, `season`, `participant`, `match`. */
    entity: text('entity').notNull(),
    sourceId: text('source_id').notNull(),
    coreId: text('core_id').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.source, table.entity, table.sourceId] }),
    index('source_ids_core').on(table.entity, table.coreId),
  ],
);

export const matches = coreZone.table(
  'matches',
  {
    id: text('id').primaryKey(),
    competitionId: text('competition_id')
      .notNull()
      .references(() => competitions.id),
    seasonId: text('season_id')
      .notNull()
      .references(() => seasons.id),
    startTime: timestamp('start_time', { withTimezone: true, mode: 'date' }).notNull(),
    /** `notstarted`, `inprogress`, `finished`, `postponed`, `canceled`. */
    status: text('status').notNull(),
    homeId: text('home_id')
      .notNull()
      .references(() => participants.id),
    awayId: text('away_id')
      .notNull()
      .references(() => participants.id),
    /** Score after normal (and extra) time; shoot-out goals are kept apart. */
    homeScore: integer('home_score'),
    awayScore: integer('away_score'),
    homePenalties: integer('home_penalties'),
    awayPenalties: integer('away_penalties'),
    /** Goals after 90 minutes, when the match went further (football). */
    homeScoreRegular: integer('home_score_regular'),
    awayScoreRegular: integer('away_score_regular'),
    /** How it ended: `regular`, `after-extra-time`, `after-penalties`, `retired`, `walkover`, `awarded`, `abandoned`. */
    statusDetail: text('status_detail'),
    /** Games per set (tennis): `[{ home, away, tiebreak }]`. */
    periods: jsonb('periods').notNull().default([]),
    /** `home`, `away` or `draw`, once decided. */
    winner: text('winner'),
    neutral: boolean('neutral').notNull().default(false),
    /** Court surface (tennis): `clay`, `grass`, `hard`, `carpet`, or the upstream's word. */
    surface: text('surface'),
    round: integer('round'),
    roundName: text('round_name'),
    /** Flagged matches (e.g. playoffs) get the pool's flagged multiplier. */
    flagged: boolean('flagged').notNull().default(false),
    /** The upstream's own last-change time, for change detection. */
    sourceChangedAt: timestamp('source_changed_at', { withTimezone: true, mode: 'date' }),
    rawSha256: rawSha256(),
    ...timestamps,
  },
  (table) => [
    index('matches_season_start').on(table.seasonId, table.startTime, table.id),
    index('matches_start').on(table.startTime, table.id),
    check('matches_status', sql`${table.status} IN ('notstarted', 'inprogress', 'finished', 'postponed', 'canceled')`),
    check('matches_winner', sql`${table.winner} IS NULL OR ${table.winner} IN ('home', 'away', 'draw')`),
    check('matches_distinct_sides', sql`${table.homeId} <> ${table.awayId}`),
    rawSha256Hex('matches_raw_sha256_hex', table.rawSha256),
  ],
);

export const appearances = coreZone.table(
  'appearances',
  {
    matchId: text('match_id')
      .notNull()
      .references(() => matches.id, { onDelete: 'cascade' }),
    playerId: text('player_id')
      .notNull()
      .references(() => participants.id),
    teamId: text('team_id')
      .notNull()
      .references(() => participants.id),
    /** `home` or `away`. */
    side: text('side').notNull(),
    starter: boolean('starter').notNull(),
    minutes: integer('minutes'),
    position: text('position'),
    shirtNumber: integer('shirt_number'),
    rawSha256: rawSha256(),
  },
  (table) => [
    primaryKey({ columns: [table.matchId, table.playerId] }),
    index('appearances_player').on(table.playerId),
    check('appearances_side', sql`${table.side} IN ('home', 'away')`),
    rawSha256Hex('appearances_raw_sha256_hex', table.rawSha256),
  ],
);

export const incidents = coreZone.table(
  'incidents',
  {
    matchId: text('match_id')
      .notNull()
      .references(() => matches.id, { onDelete: 'cascade' }),
    /** Position in the match's incident list, in match-time order. */
    seq: integer('seq').notNull(),
    /** `goal`, `card`, `substitution`, `period`, ... */
    kind: text('kind').notNull(),
    minute: integer('minute'),
    addedTime: integer('added_time'),
    side: text('side'),
    playerId: text('player_id'),
    /** Kind-specific fields (card colour, assist, own goal, period name). */
    detail: jsonb('detail').notNull().default({}),
    rawSha256: rawSha256(),
  },
  (table) => [
    primaryKey({ columns: [table.matchId, table.seq] }),
    rawSha256Hex('incidents_raw_sha256_hex', table.rawSha256),
  ],
);

/**
 * What the upstream says about a player beyond lineups (the `players` enrichment stage,
 * packages/pipeline/src/stages/enrich-players.ts): one row per player asked about, written from
 * the newest payload of `raw.payloads` endpoint `player` that kept its contract (`raw_sha256`).
 * Fields the upstream left out are null; `complete` says whether the five key fields are all
 * there (a complete profile is never fetched again, an incomplete one is asked again once
 * `checked_at` is old enough).
 */
export const playerProfiles = coreZone.table(
  'player_profiles',
  {
    playerId: text('player_id')
      .primaryKey()
      .references(() => participants.id),
    /** Config name of the source asked, and the player's id there. */
    source: text('source').notNull(),
    sourceId: text('source_id').notNull(),
    /** `G`, `D`, `M` or `F`. */
    position: text('position'),
    /** Country code, upper case (alpha-3, or alpha-2 where the upstream gives no other). */
    nationality: text('nationality'),
    /** A calendar date (no time zone): read as `YYYY-MM-DD` text. */
    dateOfBirth: date('date_of_birth', { mode: 'string' }),
    heightCm: integer('height_cm'),
    /** `right`, `left` or `both`. */
    preferredFoot: text('preferred_foot').$type<'right' | 'left' | 'both'>(),
    shirtNumber: integer('shirt_number'),
    /** The current club's upstream id, and its core id once core knows that team. */
    teamSourceId: text('team_source_id'),
    teamId: text('team_id').references(() => participants.id),
    marketValueEur: bigint('market_value_eur', { mode: 'number' }),
    /** All five key fields present: nationality, date of birth, height, preferred foot, position. */
    complete: boolean('complete')
      .notNull()
      .generatedAlwaysAs(
        sql`nationality IS NOT NULL AND date_of_birth IS NOT NULL AND height_cm IS NOT NULL AND preferred_foot IS NOT NULL AND position IS NOT NULL`,
      ),
    /** The upstream answered 404 when last asked (the fields, if any, are from an earlier answer). */
    notFound: boolean('not_found').notNull().default(false),
    /** SHA-256 of the raw payload the fields came from (`raw.payloads.sha256`); null before any. */
    rawSha256: text('raw_sha256'),
    /** When the upstream was last asked (whatever it answered). */
    checkedAt: timestamp('checked_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** When the fields last changed. */
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [
    check(
      'player_profiles_preferred_foot',
      sql`${table.preferredFoot} IS NULL OR ${table.preferredFoot} IN ('right', 'left', 'both')`,
    ),
    check('player_profiles_raw_sha256_hex', sql`${table.rawSha256} IS NULL OR ${table.rawSha256} ~ '^[0-9a-f]{64}$'`),
  ],
);

/**
 * The pre-match full-time result (1X2) prices of a match as the `odds` stage saw them
 * (packages/pipeline/src/stages/poll-odds.ts): a row per price state, written only when a poll
 * finds prices that differ from the match's latest row. `observed_at` is the poll that first
 * saw them, `last_seen_at` the last poll that still did; `raw_sha256` is the raw payload
 * (`raw.payloads`, endpoint `event.odds`) that first showed them. Prices are decimal (stake
 * included) and as quoted (fractional); the opening prices are the upstream's own opening line
 * as that payload quoted it, so they are right even when polling began after the market opened.
 */
export const oddsSnapshots = coreZone.table(
  'odds_snapshots',
  {
    matchId: text('match_id')
      .notNull()
      .references(() => matches.id, { onDelete: 'cascade' }),
    /** `1X2`: the full-time result before kick-off (the only market kept). */
    market: text('market').notNull(),
    observedAt: timestamp('observed_at', { withTimezone: true, mode: 'date' }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** Config name of the source polled. */
    source: text('source').notNull(),
    homeDecimal: doublePrecision('home_decimal').notNull(),
    drawDecimal: doublePrecision('draw_decimal').notNull(),
    awayDecimal: doublePrecision('away_decimal').notNull(),
    homeFractional: text('home_fractional').notNull(),
    drawFractional: text('draw_fractional').notNull(),
    awayFractional: text('away_fractional').notNull(),
    openingHomeDecimal: doublePrecision('opening_home_decimal').notNull(),
    openingDrawDecimal: doublePrecision('opening_draw_decimal').notNull(),
    openingAwayDecimal: doublePrecision('opening_away_decimal').notNull(),
    openingHomeFractional: text('opening_home_fractional').notNull(),
    openingDrawFractional: text('opening_draw_fractional').notNull(),
    openingAwayFractional: text('opening_away_fractional').notNull(),
    rawSha256: text('raw_sha256').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.matchId, table.market, table.observedAt] }),
    check('odds_snapshots_market', sql`${table.market} IN ('1X2')`),
    check(
      'odds_snapshots_prices',
      sql`${table.homeDecimal} > 1 AND ${table.drawDecimal} > 1 AND ${table.awayDecimal} > 1`,
    ),
    check('odds_snapshots_raw_sha256_hex', sql`${table.rawSha256} ~ '^[0-9a-f]{64}$'`),
  ],
);

/**
 * The `odds` stage's poll state, one row per match it has polled: what drives its cadence (when
 * it was last polled) and what the last poll found. `closed`: the last poll was at or after the
 * kick-off core held then, so the match's latest snapshot is its closing line.
 */
export const oddsPolls = coreZone.table(
  'odds_polls',
  {
    matchId: text('match_id')
      .primaryKey()
      .references(() => matches.id, { onDelete: 'cascade' }),
    /** Config name of the source polled, and the match's id there. */
    source: text('source').notNull(),
    sourceId: text('source_id').notNull(),
    firstPolledAt: timestamp('first_polled_at', { withTimezone: true, mode: 'date' }).notNull(),
    lastPolledAt: timestamp('last_polled_at', { withTimezone: true, mode: 'date' }).notNull(),
    polls: integer('polls').notNull(),
    /**
     * `prices` (the 1X2 market was there), `no-market` (404, or no pre-match 1X2 market in the
     * answer), `quarantined` (the answer broke its contract), `unreadable` (not JSON).
     */
    lastOutcome: text('last_outcome').notNull(),
    /** SHA-256 of the last payload kept in raw; null when the last poll kept none. */
    lastSha256: text('last_sha256'),
    closed: boolean('closed').notNull(),
  },
  (table) => [
    check('odds_polls_outcome', sql`${table.lastOutcome} IN ('prices', 'no-market', 'quarantined', 'unreadable')`),
    check('odds_polls_last_sha256_hex', sql`${table.lastSha256} IS NULL OR ${table.lastSha256} ~ '^[0-9a-f]{64}$'`),
    // The closing polls still due are found among the matches not closed yet.
    index('odds_polls_open').on(table.matchId).where(sql`NOT ${table.closed}`),
  ],
);
