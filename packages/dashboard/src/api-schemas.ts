import {
  CompetitionRow,
  MatchOddsRow,
  MatchRow,
  PlayerAppearanceRow,
  PlayerRow,
  RatingCalibrationRow,
  RatingRow,
  SeasonRow,
  SnapshotManifest,
  StandingRow,
} from '@matchflow/pipeline';
import { z } from 'zod';

/*
 * The consumer API's contract in zod: query parameters (validated on every request) and response
 * bodies (documented in /api/openapi.json). Rows are the published tables' schemas, unchanged, so
 * the API, the CSV and the NDJSON files share one set of columns.
 */

/** Page size when `limit` is not given. */
export const DEFAULT_LIMIT = 100;
/** The largest `limit` accepted. */
export const MAX_LIMIT = 1_000;

const wholeNumber = 'must be a whole number';
const limit = z.coerce
  .number({ error: wholeNumber })
  .int(wholeNumber)
  .min(1, 'must be at least 1')
  .max(MAX_LIMIT, `must be at most ${MAX_LIMIT}`)
  .default(DEFAULT_LIMIT)
  .describe(`Rows per page: 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT}).`);
const offset = z.coerce
  .number({ error: wholeNumber })
  .int(wholeNumber)
  .min(0, 'must be 0 or more')
  .default(0)
  .describe('Rows to skip before the page starts (default 0).');
const id = (description: string) => z.string().max(200, 'must be at most 200 characters').describe(description);

const INSTANT_ERROR = 'must be a date (YYYY-MM-DD) or an ISO 8601 time with seconds and a zone (2025-08-16T14:00:00Z)';
/** A date (midnight UTC) or an ISO 8601 time with a zone, as epoch milliseconds. */
const instant = (description: string) =>
  z
    .union([z.iso.date(), z.iso.datetime({ offset: true })], { error: INSTANT_ERROR })
    // Date.parse reads a date-only form as UTC midnight.
    .transform((text) => Date.parse(text))
    .describe(description);

export const MatchesQuery = z
  .strictObject({
    competition: id('Only this competition’s matches.').optional(),
    season: id('Only this season’s matches.').optional(),
    team: id('Only matches this team plays, at home or away.').optional(),
    from: instant('Matches starting at or after this time (inclusive); a date means 00:00 UTC.').optional(),
    to: instant('Matches starting before this time (exclusive); a date means 00:00 UTC.').optional(),
    status: z
      .enum(MatchRow.shape.status.options, {
        error: `must be one of ${MatchRow.shape.status.options.join(', ')}`,
      })
      .describe('Only matches with this status.')
      .optional(),
    limit,
    offset,
  })
  .superRefine((query, ctx) => {
    if (query.from !== undefined && query.to !== undefined && query.to <= query.from) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be later than from' });
    }
  });

export const PlayerAppearancesQuery = z.strictObject({
  team: id('Only this team’s players.').optional(),
  limit,
  offset,
});

const BOOLEAN_ERROR = 'must be true or false';

export const PlayersQuery = z.strictObject({
  team: id('Only players whose current team (`team_id`) is this one.').optional(),
  nationality: id('Only players of this nationality: the country code as the rows hold it (upper case).').optional(),
  position: id('Only players with this position as the rows hold it (`G`, `D`, `M` or `F`).').optional(),
  complete: z
    // Only the two words: z.coerce.boolean would read `false` as true.
    .enum(['true', 'false'], { error: BOOLEAN_ERROR })
    .transform((text) => text === 'true')
    .describe('Only players whose profile is complete (`true`) or not (`false`).')
    .optional(),
  limit,
  offset,
});

export const PageQuery = z.strictObject({ limit, offset });

export const Page = z
  .object({
    limit: z.number().int(),
    offset: z.number().int(),
    total: z.number().int().describe('Rows matching the request, over all pages.'),
  })
  .describe('Where this page lies: the next page starts at offset + limit while that is below total.');

const paged = <Row extends z.ZodType>(row: Row) => z.object({ data: z.array(row), page: Page });
const list = <Row extends z.ZodType>(row: Row) => z.object({ data: z.array(row) });

export const ErrorResponse = z.object({
  error: z
    .string()
    .describe(
      '`bad_request`, `not_found`, `method_not_allowed`, `no_snapshot`, `snapshot_unavailable` or `internal_error`',
    ),
  message: z.string().describe('What went wrong; for a bad parameter, `<parameter>: <what is wrong>`.'),
});

export const RatingPool = z.object({
  pool_id: z.string(),
  participants: z.number().int().nonnegative().describe('Rows in the pool’s leaderboard.'),
  calibration: RatingCalibrationRow.omit({ pool_id: true })
    .nullable()
    .describe('How well the pool’s expected scores predicted results; null when not computed.'),
});

export const Health = z.object({ status: z.literal('ok') });
export const CompetitionList = list(CompetitionRow);
export const SeasonList = list(SeasonRow);
export const StandingList = list(StandingRow);
export const MatchPage = paged(MatchRow);
export const PlayerAppearancePage = paged(PlayerAppearanceRow);
export const PlayerPage = paged(PlayerRow);
export const MatchOddsPage = paged(MatchOddsRow);
export const RatingPage = paged(RatingRow);
export const RatingPoolList = list(RatingPool);

/** Every schema named in the OpenAPI document's components, by component name. */
export const COMPONENT_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  SnapshotManifest,
  CompetitionRow,
  SeasonRow,
  StandingRow,
  MatchRow,
  PlayerAppearanceRow,
  PlayerRow,
  MatchOddsRow,
  RatingRow,
  RatingCalibrationRow,
  RatingPool,
  Page,
  Error: ErrorResponse,
  Health,
  CompetitionList,
  SeasonList,
  StandingList,
  MatchPage,
  PlayerAppearancePage,
  PlayerPage,
  MatchOddsPage,
  RatingPage,
  RatingPoolList,
};
