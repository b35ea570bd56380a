import {
  boolean,
  date,
  doublePrecision,
  index,
  integer,
  pgSchema,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

/** Curated zone: consumption-ready tables rebuilt per competition-season by the build stage. */
export const curatedZone = pgSchema('curated');

export const standings = curatedZone.table(
  'standings',
  {
    competitionId: text('competition_id').notNull(),
    seasonId: text('season_id').notNull(),
    participantId: text('participant_id').notNull(),
    position: integer('position').notNull(),
    played: integer('played').notNull(),
    won: integer('won').notNull(),
    drawn: integer('drawn').notNull(),
    lost: integer('lost').notNull(),
    goalsFor: integer('goals_for').notNull(),
    goalsAgainst: integer('goals_against').notNull(),
    points: integer('points').notNull(),
    /** Points added (negative: deducted) by the competition; already included in `points`. */
    adjustment: integer('adjustment').notNull().default(0),
    /** Last five results, oldest first: `W`, `D`, `L`. */
    form: text('form').notNull().default(''),
  },
  (table) => [primaryKey({ columns: [table.seasonId, table.participantId] })],
);

/**
 * How well a rating pool's pre-match expected scores predicted results (Brier score, log loss),
 * so parameter sets can be compared. Recomputed by the build.
 */
export const ratingCalibration = curatedZone.table('rating_calibration', {
  poolId: text('pool_id').primaryKey(),
  matches: integer('matches').notNull(),
  brier: doublePrecision('brier'),
  logLoss: doublePrecision('log_loss'),
  /** Start time of the last rated match: the figures are as of then. */
  asOf: timestamp('as_of', { withTimezone: true, mode: 'date' }),
});

/** One row per match of a competition-season: who, when, the result and the pre-match ratings. */
export const matchSummary = curatedZone.table(
  'match_summary',
  {
    matchId: text('match_id').primaryKey(),
    competitionId: text('competition_id').notNull(),
    seasonId: text('season_id').notNull(),
    startTime: timestamp('start_time', { withTimezone: true, mode: 'date' }).notNull(),
    status: text('status').notNull(),
    statusDetail: text('status_detail'),
    round: integer('round'),
    homeId: text('home_id').notNull(),
    homeName: text('home_name').notNull(),
    awayId: text('away_id').notNull(),
    awayName: text('away_name').notNull(),
    homeScore: integer('home_score'),
    awayScore: integer('away_score'),
    homePenalties: integer('home_penalties'),
    awayPenalties: integer('away_penalties'),
    winner: text('winner'),
    /** The competition's rating pool; the ratings below are null until the match is rated. */
    poolId: text('pool_id'),
    homeRatingPre: doublePrecision('home_rating_pre'),
    awayRatingPre: doublePrecision('away_rating_pre'),
    /** Home's expected score before the match, home advantage included. */
    expectedHome: doublePrecision('expected_home'),
  },
  (table) => [index('match_summary_season').on(table.seasonId, table.startTime)],
);

/**
 * The ratings leaderboard of a pool: rank, rating, games, and the change over the 30 days up to
 * the pool's last rated match (not the wall clock, so the same data gives the same table).
 */
export const ratingLeaderboard = curatedZone.table(
  'rating_leaderboard',
  {
    poolId: text('pool_id').notNull(),
    rank: integer('rank').notNull(),
    participantId: text('participant_id').notNull(),
    name: text('name').notNull(),
    rating: doublePrecision('rating').notNull(),
    games: integer('games').notNull(),
    lastMatchId: text('last_match_id'),
    change30d: doublePrecision('change_30d').notNull(),
  },
  (table) => [primaryKey({ columns: [table.poolId, table.participantId] })],
);

/** Per player, team and competition-season: what the player did in finished matches. */
export const playerAppearances = curatedZone.table(
  'player_appearances',
  {
    competitionId: text('competition_id').notNull(),
    seasonId: text('season_id').notNull(),
    playerId: text('player_id').notNull(),
    playerName: text('player_name').notNull(),
    teamId: text('team_id').notNull(),
    /** Matches started or come on in. */
    appearances: integer('appearances').notNull(),
    starts: integer('starts').notNull(),
    minutes: integer('minutes').notNull(),
    /** Own goals not included. */
    goals: integer('goals').notNull(),
    yellowCards: integer('yellow_cards').notNull(),
    /** A straight red or a second yellow. */
    redCards: integer('red_cards').notNull(),
  },
  (table) => [primaryKey({ columns: [table.seasonId, table.playerId, table.teamId] })],
);

/** Tennis: per player, season and surface, matches played out (walkovers excluded), won and lost. */
export const tennisRecords = curatedZone.table(
  'tennis_records',
  {
    competitionId: text('competition_id').notNull(),
    seasonId: text('season_id').notNull(),
    playerId: text('player_id').notNull(),
    playerName: text('player_name').notNull(),
    /** `clay`, `grass`, `hard`, `carpet`, or `unknown` when the upstream did not say. */
    surface: text('surface').notNull(),
    played: integer('played').notNull(),
    won: integer('won').notNull(),
    lost: integer('lost').notNull(),
    /** Matches the player retired from (counted as lost). */
    retired: integer('retired').notNull(),
  },
  (table) => [primaryKey({ columns: [table.seasonId, table.playerId, table.surface] })],
);

/**
 * One row per player with appearances (any match of core): who he is (from
 * `core.player_profiles`, null where unknown), his current team (the profile's, else the team of
 * his latest appearance) and his career totals over finished matches (appearances counted as in
 * `player_appearances`: started, or came on and played). Refreshed for the players the `players`
 * stage touched and for a season's players by its build; `rebuildCuratedPlayers` recomputes it
 * whole, with the same result.
 */
export const players = curatedZone.table('players', {
  playerId: text('player_id').primaryKey(),
  name: text('name').notNull(),
  shortName: text('short_name'),
  position: text('position'),
  nationality: text('nationality'),
  dateOfBirth: date('date_of_birth', { mode: 'string' }),
  heightCm: integer('height_cm'),
  preferredFoot: text('preferred_foot'),
  teamId: text('team_id'),
  teamName: text('team_name'),
  appearances: integer('appearances').notNull(),
  minutes: integer('minutes').notNull(),
  /** The profile has all five key fields (false without a profile). */
  profileComplete: boolean('profile_complete').notNull(),
});

/**
 * One row per finished football match with pre-match 1X2 odds (`core.odds_snapshots`): the
 * opening and closing prices, their implied probabilities with the bookmaker's margin removed
 * (`p_i = (1/o_i) / Σ_j 1/o_j`), the overround, the line movement, and beside them the market's
 * and the Elo pool's expected home score with each one's squared error against the result.
 * The result is the market's: the score after 90 minutes (a cup tie level after 90 is a draw,
 * whatever extra time and penalties then decided). Refreshed by the `odds` stage and by each
 * season's build; `rebuildCuratedOdds` recomputes it whole, with the same result.
 */
export const matchOdds = curatedZone.table(
  'match_odds',
  {
    matchId: text('match_id').primaryKey(),
    competitionId: text('competition_id').notNull(),
    seasonId: text('season_id').notNull(),
    startTime: timestamp('start_time', { withTimezone: true, mode: 'date' }).notNull(),
    homeId: text('home_id').notNull(),
    awayId: text('away_id').notNull(),
    /** Goals after 90 minutes (the score when the match ended in normal time). */
    homeGoals: integer('home_goals').notNull(),
    awayGoals: integer('away_goals').notNull(),
    /** `home`, `draw` or `away`, from the goals above: how the 1X2 market settles. */
    result: text('result').notNull(),
    /** Decimal prices (stake included) of the upstream's opening line. */
    openingHome: doublePrecision('opening_home').notNull(),
    openingDraw: doublePrecision('opening_draw').notNull(),
    openingAway: doublePrecision('opening_away').notNull(),
    /** Decimal prices of the last line seen (the closing line once a poll at kick-off saw it). */
    closingHome: doublePrecision('closing_home').notNull(),
    closingDraw: doublePrecision('closing_draw').notNull(),
    closingAway: doublePrecision('closing_away').notNull(),
    /** Implied probabilities with the overround removed; each triple sums to 1. */
    openingProbHome: doublePrecision('opening_prob_home').notNull(),
    openingProbDraw: doublePrecision('opening_prob_draw').notNull(),
    openingProbAway: doublePrecision('opening_prob_away').notNull(),
    closingProbHome: doublePrecision('closing_prob_home').notNull(),
    closingProbDraw: doublePrecision('closing_prob_draw').notNull(),
    closingProbAway: doublePrecision('closing_prob_away').notNull(),
    /** `Σ 1/o_i - 1`: the bookmaker's margin. */
    openingOverround: doublePrecision('opening_overround').notNull(),
    closingOverround: doublePrecision('closing_overround').notNull(),
    /** Line movement: closing minus opening probability per outcome. */
    moveHome: doublePrecision('move_home').notNull(),
    moveDraw: doublePrecision('move_draw').notNull(),
    moveAway: doublePrecision('move_away').notNull(),
    /** Price changes seen from the opening line to the closing one (at the polls' resolution). */
    priceChanges: integer('price_changes').notNull(),
    /** Distinct price states stored (`core.odds_snapshots` rows). */
    snapshots: integer('snapshots').notNull(),
    /** A poll at or after kick-off saw the closing prices (else they are the last seen before it). */
    closingConfirmed: boolean('closing_confirmed').notNull(),
    /** The market's expected home score at the close: `p_home + p_draw / 2`. */
    marketExpectedHome: doublePrecision('market_expected_home').notNull(),
    /** The rating pool of the match's summary, and its pre-match expected home score (null until rated). */
    poolId: text('pool_id'),
    eloExpectedHome: doublePrecision('elo_expected_home'),
    /** Home's score by the result: 1, 0.5 or 0. */
    actualHome: doublePrecision('actual_home').notNull(),
    /** Squared errors of the expected home scores against `actual_home` (Brier-style). */
    marketError: doublePrecision('market_error').notNull(),
    eloError: doublePrecision('elo_error'),
  },
  (table) => [index('match_odds_season').on(table.seasonId, table.startTime)],
);
