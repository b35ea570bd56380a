import { type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';

/*
 * The published surface (docs/consumption.md): the tables a snapshot holds, their columns and
 * their order. This is a contract with consumers, kept apart from the internal curated tables:
 * a column is only ever added here, never renamed or removed, without a new `format`.
 *
 * Each table is read by one query that names its columns (snake_case, the same in CSV, NDJSON and
 * the HTTP API), formats times in SQL (so both database drivers give the same text) and orders
 * rows by byte-wise keys (`COLLATE "C"`, independent of the database's locale): the same data
 * always gives the same bytes.
 */

/** Version of the snapshot layout and table columns; bumped only for a breaking change. */
export const SNAPSHOT_FORMAT = 1;

const id = z.string();
const count = z.number().int().nonnegative();
const isoTime = z.string().describe('UTC time, ISO 8601 (`2025-08-16T14:00:00.000Z`)');

export const CompetitionRow = z.object({
  competition_id: id,
  name: z.string(),
  sport: z.string().describe('`football` or `tennis`'),
});

export const SeasonRow = z.object({
  season_id: id.describe('`{competition_id}.{upstream season id}`'),
  competition_id: id,
  name: z.string(),
  year: z.string().nullable(),
});

export const StandingRow = z.object({
  competition_id: id,
  season_id: id,
  position: z.number().int().positive(),
  team_id: id,
  team_name: z.string(),
  played: count,
  won: count,
  drawn: count,
  lost: count,
  goals_for: count,
  goals_against: count,
  goal_difference: z.number().int(),
  points: z.number().int().describe('adjustment included'),
  adjustment: z.number().int().describe('points added (negative: deducted) by the competition'),
  form: z.string().describe('last five results, oldest first: W, D, L'),
});

export const MatchRow = z.object({
  match_id: id,
  competition_id: id,
  season_id: id,
  start_time: isoTime,
  status: z.enum(['notstarted', 'inprogress', 'finished', 'postponed', 'canceled']),
  status_detail: z.string().nullable(),
  round: z.number().int().nullable(),
  home_id: id,
  home_name: z.string(),
  away_id: id,
  away_name: z.string(),
  home_score: z.number().int().nullable(),
  away_score: z.number().int().nullable(),
  home_penalties: z.number().int().nullable(),
  away_penalties: z.number().int().nullable(),
  winner: z.enum(['home', 'away', 'draw']).nullable(),
  pool_id: z.string().nullable(),
  home_rating_pre: z.number().nullable(),
  away_rating_pre: z.number().nullable(),
  expected_home: z.number().nullable().describe("home's expected score before the match, 0..1"),
});

export const PlayerAppearanceRow = z.object({
  competition_id: id,
  season_id: id,
  player_id: id,
  player_name: z.string(),
  team_id: id,
  team_name: z.string(),
  appearances: count,
  starts: count,
  minutes: count,
  goals: count.describe('own goals not included'),
  yellow_cards: count,
  red_cards: count,
});

export const TennisRecordRow = z.object({
  competition_id: id,
  season_id: id,
  player_id: id,
  player_name: z.string(),
  surface: z.string(),
  played: count,
  won: count,
  lost: count,
  retired: count,
});

export const PlayerRow = z.object({
  player_id: id,
  name: z.string(),
  short_name: z.string().nullable(),
  position: z.string().nullable().describe('`G`, `D`, `M` or `F`; null when the source does not say'),
  nationality: z.string().nullable().describe('country code, upper case (alpha-3, or alpha-2)'),
  date_of_birth: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .nullable()
    .describe('`YYYY-MM-DD`'),
  height_cm: z.number().int().nullable(),
  preferred_foot: z.enum(['right', 'left', 'both']).nullable(),
  team_id: id.nullable().describe('current team: the profile’s, else the team of the latest appearance'),
  team_name: z.string().nullable(),
  appearances: count.describe('finished matches started or come on in, every competition and season'),
  minutes: count,
  profile_complete: z.boolean().describe('nationality, date of birth, height, preferred foot and position all known'),
});

export const RatingRow = z.object({
  pool_id: id,
  rank: z.number().int().positive(),
  participant_id: id,
  name: z.string(),
  rating: z.number(),
  games: count,
  last_match_id: z.string().nullable(),
  change_30d: z.number().describe('change over the 30 days up to the pool’s last rated match'),
});

export const RatingCalibrationRow = z.object({
  pool_id: id,
  matches: count,
  brier: z.number().nullable(),
  log_loss: z.number().nullable(),
  as_of: isoTime.nullable(),
});

const price = z.number().gt(1).describe('decimal price, stake included (13/10 is 2.3)');
const probability = z.number().min(0).max(1);

export const MatchOddsRow = z.object({
  match_id: id,
  competition_id: id,
  season_id: id,
  start_time: isoTime,
  home_id: id,
  home_name: z.string(),
  away_id: id,
  away_name: z.string(),
  home_goals: count.describe('goals after 90 minutes'),
  away_goals: count,
  result: z.enum(['home', 'draw', 'away']).describe('the 90-minute result: how the 1X2 market settles'),
  opening_home: price.describe('the upstream’s opening line'),
  opening_draw: price,
  opening_away: price,
  closing_home: price.describe('the last line before kick-off'),
  closing_draw: price,
  closing_away: price,
  opening_prob_home: probability.describe('implied probability, overround removed: (1/o) / Σ 1/o'),
  opening_prob_draw: probability,
  opening_prob_away: probability,
  closing_prob_home: probability,
  closing_prob_draw: probability,
  closing_prob_away: probability,
  opening_overround: z.number().describe('Σ 1/o - 1: the bookmaker’s margin'),
  closing_overround: z.number(),
  move_home: z.number().describe('line movement: closing minus opening probability'),
  move_draw: z.number(),
  move_away: z.number(),
  price_changes: count.describe('price changes seen between the opening and the closing line'),
  snapshots: count.describe('distinct price states polled'),
  closing_confirmed: z.boolean().describe('a poll at or after kick-off saw the closing prices'),
  market_expected_home: probability.describe('closing p_home + p_draw / 2'),
  pool_id: z.string().nullable(),
  elo_expected_home: probability.nullable().describe('the Elo pool’s pre-match expected home score'),
  actual_home: z.union([z.literal(0), z.literal(0.5), z.literal(1)]),
  market_error: z.number().describe('(market_expected_home - actual_home)²'),
  elo_error: z.number().nullable().describe('(elo_expected_home - actual_home)²'),
});

/** A table of the published surface. */
export interface PublishedTable<Row extends z.ZodObject = z.ZodObject, Name extends string = string> {
  /** File stem (`standings` -> `standings.csv`, `standings.ndjson`) and API name. */
  name: Name;
  description: string;
  row: Row;
  /** Column names in file order (the row schema's keys). */
  columns: readonly string[];
  /** Columns that order the rows (and identify one). */
  key: readonly string[];
  /** Reads every row, columns named and ordered as `columns`, rows ordered by `key`. */
  query: SQL;
  /**
   * Lineage (the manifest's `tables[].lineage`): `SELECT season_id ...`, the competition-seasons
   * whose core matches the rows draw on. A table without it lists no source watermarks.
   */
  seasons?: SQL;
}

const utc = (column: string) => sql.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

function table<const Name extends string, Row extends z.ZodObject>(
  definition: Omit<PublishedTable<Row, Name>, 'columns'>,
): PublishedTable<Row, Name> {
  return { ...definition, columns: Object.keys(definition.row.shape) };
}

/** Every published table, in manifest order. */
export const PUBLISHED_TABLES = [
  table({
    name: 'competitions',
    description: 'Competitions with data in the snapshot.',
    row: CompetitionRow,
    key: ['competition_id'],
    seasons: sql`SELECT DISTINCT season_id FROM curated.match_summary`,
    query: sql`SELECT c.id AS competition_id, c.name, c.sport FROM core.competitions c
      WHERE EXISTS (SELECT 1 FROM curated.match_summary m WHERE m.competition_id = c.id)
      ORDER BY c.id COLLATE "C"`,
  }),
  table({
    name: 'seasons',
    description: 'Seasons with data in the snapshot.',
    row: SeasonRow,
    key: ['season_id'],
    seasons: sql`SELECT DISTINCT season_id FROM curated.match_summary`,
    query: sql`SELECT s.id AS season_id, s.competition_id, s.name, s.year FROM core.seasons s
      WHERE EXISTS (SELECT 1 FROM curated.match_summary m WHERE m.season_id = s.id)
      ORDER BY s.competition_id COLLATE "C", s.id COLLATE "C"`,
  }),
  table({
    name: 'standings',
    description: 'League tables per competition-season, with the competition’s points rules and adjustments.',
    row: StandingRow,
    key: ['season_id', 'position'],
    seasons: sql`SELECT DISTINCT season_id FROM curated.standings`,
    query: sql`SELECT st.competition_id, st.season_id, st.position, st.participant_id AS team_id,
        p.name AS team_name, st.played, st.won, st.drawn, st.lost, st.goals_for, st.goals_against,
        st.goals_for - st.goals_against AS goal_difference, st.points, st.adjustment, st.form
      FROM curated.standings st JOIN core.participants p ON p.id = st.participant_id
      ORDER BY st.competition_id COLLATE "C", st.season_id COLLATE "C", st.position, st.participant_id COLLATE "C"`,
  }),
  table({
    name: 'matches',
    description: 'Every match with its result and the pre-match ratings and expected score.',
    row: MatchRow,
    key: ['match_id'],
    seasons: sql`SELECT DISTINCT season_id FROM curated.match_summary`,
    query: sql`SELECT match_id, competition_id, season_id, ${utc('start_time')} AS start_time, status,
        status_detail, round, home_id, home_name, away_id, away_name, home_score, away_score,
        home_penalties, away_penalties, winner, pool_id, home_rating_pre, away_rating_pre, expected_home
      FROM curated.match_summary
      ORDER BY competition_id COLLATE "C", season_id COLLATE "C", start_time, match_id COLLATE "C"`,
  }),
  table({
    name: 'player_appearances',
    description: 'Per player, team and competition-season: appearances, starts, minutes, goals and cards.',
    row: PlayerAppearanceRow,
    key: ['season_id', 'player_id', 'team_id'],
    seasons: sql`SELECT DISTINCT season_id FROM curated.player_appearances`,
    query: sql`SELECT a.competition_id, a.season_id, a.player_id, a.player_name, a.team_id,
        t.name AS team_name, a.appearances, a.starts, a.minutes, a.goals, a.yellow_cards, a.red_cards
      FROM curated.player_appearances a JOIN core.participants t ON t.id = a.team_id
      ORDER BY a.competition_id COLLATE "C", a.season_id COLLATE "C", a.player_id COLLATE "C", a.team_id COLLATE "C"`,
  }),
  table({
    name: 'tennis_records',
    description: 'Tennis: per player, season and surface, matches played out (walkovers excluded), won and lost.',
    row: TennisRecordRow,
    key: ['season_id', 'player_id', 'surface'],
    seasons: sql`SELECT DISTINCT season_id FROM curated.tennis_records`,
    query: sql`SELECT competition_id, season_id, player_id, player_name, surface, played, won, lost, retired
      FROM curated.tennis_records
      ORDER BY competition_id COLLATE "C", season_id COLLATE "C", player_id COLLATE "C", surface COLLATE "C"`,
  }),
  table({
    name: 'players',
    description: 'Players of the published seasons’ appearances: profile, current team and career totals.',
    row: PlayerRow,
    key: ['player_id'],
    seasons: sql`SELECT DISTINCT season_id FROM curated.player_appearances`,
    query: sql`SELECT p.player_id, p.name, p.short_name, p.position, p.nationality,
        to_char(p.date_of_birth, 'YYYY-MM-DD') AS date_of_birth, p.height_cm, p.preferred_foot, p.team_id, p.team_name,
        p.appearances, p.minutes, p.profile_complete
      FROM curated.players p
      WHERE EXISTS (SELECT 1 FROM curated.player_appearances a WHERE a.player_id = p.player_id)
      ORDER BY p.player_id COLLATE "C"`,
  }),
  table({
    name: 'ratings',
    description: 'The ratings leaderboard of each rating pool.',
    row: RatingRow,
    key: ['pool_id', 'participant_id'],
    seasons: sql`SELECT DISTINCT season_id FROM curated.match_summary
      WHERE pool_id IN (SELECT pool_id FROM curated.rating_leaderboard)`,
    query: sql`SELECT pool_id, rank, participant_id, name, rating, games, last_match_id, change_30d
      FROM curated.rating_leaderboard
      ORDER BY pool_id COLLATE "C", rank, participant_id COLLATE "C"`,
  }),
  table({
    name: 'rating_calibration',
    description: 'How well each pool’s pre-match expected scores predicted results.',
    row: RatingCalibrationRow,
    key: ['pool_id'],
    seasons: sql`SELECT DISTINCT season_id FROM curated.match_summary
      WHERE pool_id IN (SELECT pool_id FROM curated.rating_calibration)`,
    query: sql`SELECT pool_id, matches, brier, log_loss, ${utc('as_of')} AS as_of
      FROM curated.rating_calibration ORDER BY pool_id COLLATE "C"`,
  }),
  table({
    name: 'match_odds',
    description:
      'Finished football matches with pre-match 1X2 odds: opening and closing prices, margin-free probabilities, line movement, and the market’s and Elo’s expected score beside the result.',
    row: MatchOddsRow,
    key: ['match_id'],
    seasons: sql`SELECT DISTINCT o.season_id FROM curated.match_odds o
      WHERE EXISTS (SELECT 1 FROM curated.match_summary m WHERE m.match_id = o.match_id)`,
    query: sql`SELECT o.match_id, o.competition_id, o.season_id, ${utc('o.start_time')} AS start_time, o.home_id,
        h.name AS home_name, o.away_id, a.name AS away_name, o.home_goals, o.away_goals, o.result,
        o.opening_home, o.opening_draw, o.opening_away, o.closing_home, o.closing_draw, o.closing_away,
        o.opening_prob_home, o.opening_prob_draw, o.opening_prob_away,
        o.closing_prob_home, o.closing_prob_draw, o.closing_prob_away,
        o.opening_overround, o.closing_overround, o.move_home, o.move_draw, o.move_away,
        o.price_changes, o.snapshots, o.closing_confirmed, o.market_expected_home, o.pool_id, o.elo_expected_home,
        o.actual_home, o.market_error, o.elo_error
      FROM curated.match_odds o
      JOIN core.participants h ON h.id = o.home_id
      JOIN core.participants a ON a.id = o.away_id
      WHERE EXISTS (SELECT 1 FROM curated.match_summary m WHERE m.match_id = o.match_id)
      ORDER BY o.competition_id COLLATE "C", o.season_id COLLATE "C", o.start_time, o.match_id COLLATE "C"`,
  }),
] as const;

export type PublishedTableName = (typeof PUBLISHED_TABLES)[number]['name'];

/**
 * Lineage of one published table (docs/consumption.md): the run that published it, the runs
 * whose stages last wrote its rows, and per source how far the core matches it draws on reach.
 * Read from the database, never the clock: equal data gives an equal lineage.
 */
export const TableLineage = z.object({
  /** The run that published the snapshot (the manifest's `run_id`). */
  published_run_id: z.string(),
  /** Runs whose stages last wrote the rows (the last passing build of each season drawn on; `players`: also the last `players` stage), sorted. */
  written_run_ids: z.array(z.string()),
  /**
   * Per source: the core matches drawn on (`players`: and the player profiles), the newest
   * `updated_at` among them, and the newest `fetched_at` of the raw payloads they came from.
   */
  sources: z.record(
    z.string(),
    z.object({
      matches: count,
      profiles: count.optional(),
      last_fetched_at: isoTime.nullable(),
      last_updated_at: isoTime.nullable(),
    }),
  ),
});
export type TableLineage = z.output<typeof TableLineage>;

/** The manifest of a snapshot: `manifest.json` in its directory. */
export const SnapshotManifest = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  version: z.string().describe('directory name; sortable by creation time'),
  run_id: z.string(),
  created_at: isoTime,
  /** sha256 over the data files' names and hashes: equal for equal content, whatever the version. */
  content_hash: z.string().regex(/^[0-9a-f]{64}$/),
  /** How far each source's data reaches: the newest payload fetched and the newest upstream change. */
  watermarks: z.record(
    z.string(),
    z.object({ last_fetched_at: isoTime.nullable(), last_changed_at: isoTime.nullable() }),
  ),
  tables: z.array(
    z.object({
      name: z.string(),
      rows: count,
      columns: z.array(z.string()),
      files: z.array(
        z.object({ path: z.string(), format: z.enum(['csv', 'ndjson']), bytes: count, sha256: z.string() }),
      ),
      /** Where the table's rows come from (absent in snapshots published before lineage). */
      lineage: TableLineage.optional(),
    }),
  ),
  quality: z.object({
    score: z.number().min(0).max(1),
    checks: count,
    passed: count,
    warned: count,
    failed: count,
    /** Checks that did not pass (warned: a FAIL never publishes). */
    issues: z.array(
      z.object({
        check: z.string(),
        scope: z.string(),
        status: z.string(),
        observed: z.number(),
        threshold: z.number(),
      }),
    ),
  }),
});
export type SnapshotManifest = z.output<typeof SnapshotManifest>;
