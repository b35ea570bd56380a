import type { Config } from '@matchflow/config';
import { createDb } from '@matchflow/db';
import { listRatingPools, ratingHistory, ratingLeaderboard } from '@matchflow/pipeline';
import { json, table, utcTime } from '../format.js';
import type { Io } from './runs.js';

export interface RatingsShowOptions {
  pool: string | undefined;
  participant: string | undefined;
  limit: number;
  json: boolean;
}

const signed = (value: number) => `${value > 0 ? '+' : ''}${value.toFixed(1)}`;

/**
 * `matchflow ratings show [--pool P [--participant ID]] [-n N] [--json]`: without --pool, the
 * rating pools; with it, the pool's leaderboard (the curated one, or the current ratings before
 * any build); with --participant, that participant's rating history in the pool, newest first.
 * Exit 1 when the pool or participant has no ratings.
 */
export async function ratingsShow(config: Config, options: RatingsShowOptions, io: Io): Promise<number> {
  const database = await createDb(config);
  try {
    const pools = await listRatingPools(database.db);
    if (options.pool === undefined) {
      if (options.json) io.out(json({ pools }));
      else if (pools.length === 0) io.out('no rating pools yet (the ratings stage creates them)');
      else {
        const rows = pools.map((pool) => [
          pool.poolId,
          String(pool.participants),
          String(pool.matches),
          utcTime(pool.updatedAt),
        ]);
        for (const line of table(['pool', 'participants', 'rated matches', 'updated (UTC)'], rows, [1, 2]))
          io.out(line);
      }
      return 0;
    }
    const known = pools.map((pool) => pool.poolId).join(', ') || 'none';

    if (options.participant !== undefined) {
      const history = await ratingHistory(database.db, options.pool, options.participant, { limit: options.limit });
      if (!history) {
        io.err(`matchflow: no rated matches of '${options.participant}' in pool '${options.pool}' (pools: ${known})`);
        return 1;
      }
      if (options.json) {
        io.out(json(history));
        return 0;
      }
      io.out(
        `${history.name} (${history.participantId}) in pool ${history.poolId}: ${history.total} rated match(es), newest first`,
      );
      const rows = history.entries.map((entry) => [
        utcTime(entry.startTime).slice(0, 10),
        entry.side === 'home' ? 'vs' : 'at',
        entry.opponentName,
        entry.actual === 1 ? 'W' : entry.actual === 0 ? 'L' : 'D',
        entry.expected.toFixed(3),
        entry.pre.toFixed(1),
        entry.post.toFixed(1),
        entry.counted ? signed(entry.post - entry.pre) : 'not counted',
        entry.matchId,
      ]);
      for (const line of table(
        ['date', '', 'opponent', 'result', 'expected', 'before', 'after', 'change', 'match'],
        rows,
        [4, 5, 6, 7],
      ))
        io.out(`  ${line}`);
      return 0;
    }

    const board = await ratingLeaderboard(database.db, options.pool, { limit: options.limit });
    if (!board) {
      io.err(`matchflow: no ratings in pool '${options.pool}' (pools: ${known})`);
      return 1;
    }
    if (options.json) {
      io.out(json(board));
      return 0;
    }
    io.out(
      `pool ${board.poolId}: ${board.total} participant(s), top ${board.entries.length} ` +
        (board.from === 'curated'
          ? '(leaderboard of the last build)'
          : '(current ratings; no build has ranked them yet)'),
    );
    const rows = board.entries.map((entry) => [
      String(entry.rank),
      entry.name,
      entry.rating.toFixed(1),
      String(entry.games),
      entry.change30d === null ? '-' : signed(entry.change30d),
      entry.participantId,
    ]);
    for (const line of table(['rank', 'name', 'rating', 'games', '30 days', 'participant'], rows, [0, 2, 3, 4]))
      io.out(`  ${line}`);
    return 0;
  } finally {
    await database.close();
  }
}
