import type { SnapshotRow } from '@matchflow/pipeline';
import { MatchesQuery, PageQuery, PlayerAppearancesQuery, PlayersQuery } from './api-schemas.js';
import { type Endpoint, snapshotEndpoint } from './endpoint.js';
import type { SnapshotSource } from './snapshot-source.js';

/*
 * The consumer API (docs/consumption.md): read-only JSON over the latest snapshot, the same
 * rows and columns as its files. Lists that can be long are paged: `{ data, page }`.
 */

function page<Row>(rows: readonly Row[], query: { limit: number; offset: number }) {
  return {
    data: rows.slice(query.offset, query.offset + query.limit),
    page: { limit: query.limit, offset: query.offset, total: rows.length },
  };
}

const SEASON_ID = { seasonId: 'A season id, as `/api/competitions/{competitionId}/seasons` lists them.' };

/** Every consumer endpoint, answered from the snapshot `source` holds. */
export function consumerApi(source: SnapshotSource): Endpoint[] {
  return [
    snapshotEndpoint(source, {
      path: '/api/snapshot',
      summary: 'The manifest of the latest snapshot',
      description:
        'Version, run, creation time, content hash, watermarks, tables with row counts and file hashes, quality.',
      response: 'SnapshotManifest',
      answer: (view) => ({ body: view.manifest }),
    }),
    snapshotEndpoint(source, {
      path: '/api/competitions',
      summary: 'Competitions',
      response: 'CompetitionList',
      answer: (view) => ({ body: { data: view.competitions } }),
    }),
    snapshotEndpoint(source, {
      path: '/api/competitions/{competitionId}/seasons',
      summary: 'The seasons of a competition',
      pathParams: { competitionId: 'A competition id, as `/api/competitions` lists them.' },
      response: 'SeasonList',
      answer: (view, { competitionId = '' }) =>
        view.hasCompetition(competitionId)
          ? { body: { data: view.seasonsByCompetition.get(competitionId) ?? [] } }
          : { notFound: `no competition ${competitionId} in snapshot ${view.version}` },
    }),
    snapshotEndpoint(source, {
      path: '/api/seasons/{seasonId}/standings',
      summary: 'The league table of a season',
      description: 'Every row of the season’s table, ordered by position. Empty for a season without one (tennis).',
      pathParams: SEASON_ID,
      response: 'StandingList',
      answer: (view, { seasonId = '' }) =>
        view.seasonIds.has(seasonId)
          ? { body: { data: view.standingsBySeason.get(seasonId) ?? [] } }
          : { notFound: `no season ${seasonId} in snapshot ${view.version}` },
    }),
    snapshotEndpoint(source, {
      path: '/api/matches',
      summary: 'Matches, filtered and paged',
      description:
        'Ordered by start time, then match id. Filters combine (AND). `from` is inclusive and `to` exclusive; both take a date (`2025-08-16`, meaning 00:00 UTC) or an ISO 8601 time with a zone.',
      query: MatchesQuery,
      response: 'MatchPage',
      answer: (view, _params, query) => {
        const rows: SnapshotRow<'matches'>[] = [];
        for (const { row, startMs } of view.matches) {
          if (query.competition !== undefined && row.competition_id !== query.competition) continue;
          if (query.season !== undefined && row.season_id !== query.season) continue;
          if (query.team !== undefined && row.home_id !== query.team && row.away_id !== query.team) continue;
          if (query.status !== undefined && row.status !== query.status) continue;
          if (query.from !== undefined && startMs < query.from) continue;
          if (query.to !== undefined && startMs >= query.to) continue;
          rows.push(row);
        }
        return { body: page(rows, query) };
      },
    }),
    snapshotEndpoint(source, {
      path: '/api/seasons/{seasonId}/player-appearances',
      summary: 'Player appearances in a season, paged',
      description:
        'One row per player and team (a player who changed teams has one per team), ordered by player id, then team id.',
      pathParams: SEASON_ID,
      query: PlayerAppearancesQuery,
      response: 'PlayerAppearancePage',
      answer: (view, { seasonId = '' }, query) => {
        if (!view.seasonIds.has(seasonId)) return { notFound: `no season ${seasonId} in snapshot ${view.version}` };
        const rows = view.appearancesBySeason.get(seasonId) ?? [];
        const team = query.team;
        return { body: page(team === undefined ? rows : rows.filter((row) => row.team_id === team), query) };
      },
    }),
    snapshotEndpoint(source, {
      path: '/api/players',
      summary: 'Players, filtered and paged',
      description:
        'One row per player with appearances in the snapshot: profile, current team, career appearances and minutes. Ordered by player id. Filters combine (AND) and match the row’s value exactly.',
      query: PlayersQuery,
      response: 'PlayerPage',
      answer: (view, _params, query) => {
        const rows: SnapshotRow<'players'>[] = [];
        for (const row of view.players) {
          if (query.team !== undefined && row.team_id !== query.team) continue;
          if (query.nationality !== undefined && row.nationality !== query.nationality) continue;
          if (query.position !== undefined && row.position !== query.position) continue;
          if (query.complete !== undefined && row.profile_complete !== query.complete) continue;
          rows.push(row);
        }
        return { body: page(rows, query) };
      },
    }),
    snapshotEndpoint(source, {
      path: '/api/players/{playerId}',
      summary: 'One player',
      description: 'The player’s row of the `players` table.',
      pathParams: { playerId: 'A player id, as `/api/players` and the player appearances list them.' },
      response: 'PlayerRow',
      answer: (view, { playerId = '' }) => {
        const row = view.playersById.get(playerId);
        return row ? { body: row } : { notFound: `no player ${playerId} in snapshot ${view.version}` };
      },
    }),
    snapshotEndpoint(source, {
      path: '/api/seasons/{seasonId}/odds',
      summary: 'Pre-match odds of a season’s matches, paged',
      description:
        'The season’s `match_odds` rows: finished football matches with 1X2 odds, ordered by start time, then match id. Empty for a season without odds.',
      pathParams: SEASON_ID,
      query: PageQuery,
      response: 'MatchOddsPage',
      answer: (view, { seasonId = '' }, query) =>
        view.seasonIds.has(seasonId)
          ? { body: page(view.oddsBySeason.get(seasonId) ?? [], query) }
          : { notFound: `no season ${seasonId} in snapshot ${view.version}` },
    }),
    snapshotEndpoint(source, {
      path: '/api/matches/{matchId}/odds',
      summary: 'The pre-match odds of one match',
      description:
        'The match’s `match_odds` row. 404 both for a match the snapshot does not hold and for one without odds (not finished, not football, or not followed by the odds stage); the message says which.',
      pathParams: { matchId: 'A match id, as `/api/matches` lists them.' },
      response: 'MatchOddsRow',
      answer: (view, { matchId = '' }) => {
        const row = view.oddsByMatch.get(matchId);
        if (row) return { body: row };
        return {
          notFound: view.matchIds.has(matchId)
            ? `match ${matchId} has no odds in snapshot ${view.version}`
            : `no match ${matchId} in snapshot ${view.version}`,
        };
      },
    }),
    snapshotEndpoint(source, {
      path: '/api/ratings',
      summary: 'Rating pools',
      description: 'Every rating pool with its leaderboard size and calibration.',
      response: 'RatingPoolList',
      answer: (view) => ({ body: { data: view.pools } }),
    }),
    snapshotEndpoint(source, {
      path: '/api/ratings/{poolId}',
      summary: 'The ratings leaderboard of a pool, paged',
      description: 'Ordered by rank.',
      pathParams: { poolId: 'A rating pool id, as `/api/ratings` lists them.' },
      query: PageQuery,
      response: 'RatingPage',
      answer: (view, { poolId = '' }, query) =>
        view.hasPool(poolId)
          ? { body: page(view.ratingsByPool.get(poolId) ?? [], query) }
          : { notFound: `no rating pool ${poolId} in snapshot ${view.version}` },
    }),
  ];
}
