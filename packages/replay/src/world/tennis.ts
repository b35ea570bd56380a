import type { Side, Team, TennisPlay, TennisSet } from './model.js';
import type { Random } from './random.js';

const SET_BREAK_SEC = 120;

/** Probability that `home` wins a set against `away`, from their hidden skills. */
export function setWinProbability(home: Team, away: Team): number {
  return 1 / (1 + Math.exp(-0.9 * (home.attack - away.attack)));
}

export interface TennisOutcome {
  play: TennisPlay;
  winner: Side;
}

/**
 * A best-of-three match: sets of 6 games (7-5, or 7-6 with a tie-break), a retirement in about
 * one match in forty (or for certain), a walkover (no play at all) when `walkover` says so.
 */
export function simulateTennis(
  random: Random,
  home: Team,
  away: Team,
  walkover: boolean,
  retirement: 'always' | 'sometimes' = 'sometimes',
): TennisOutcome {
  const firstToServe = random.chance(0.5) ? 1 : 2;
  if (walkover) {
    const withdrew: Side = random.chance(0.5) ? 'home' : 'away';
    return {
      play: { sets: [], retired: undefined, withdrew, firstToServe, end: 0 },
      winner: withdrew === 'home' ? 'away' : 'home',
    };
  }
  const pHome = setWinProbability(home, away);
  const retires = retirement === 'always' || random.chance(1 / 40);
  const retiresInSet = retires ? random.int(1, 2) : undefined;
  const sets: TennisSet[] = [];
  const won = { home: 0, away: 0 };
  let offset = 0;
  while (won.home < 2 && won.away < 2) {
    const setNumber = sets.length + 1;
    const setWinner: Side = random.chance(pHome) ? 'home' : 'away';
    const duration = random.int(30, 55) * 60;
    if (retiresInSet === setNumber) {
      // Retires part-way through: the set stays unfinished, the opponent takes the match.
      const retired: Side = random.chance(0.5) ? 'home' : 'away';
      const leader = retired === 'home' ? 'away' : 'home';
      const leaderGames = random.int(1, 5);
      const set: TennisSet = {
        home: leader === 'home' ? leaderGames : random.int(0, leaderGames - 1),
        away: leader === 'away' ? leaderGames : random.int(0, leaderGames - 1),
        tiebreak: undefined,
        startOffset: offset,
        endOffset: offset + Math.round(duration / 2),
      };
      sets.push(set);
      return {
        play: { sets, retired, withdrew: undefined, firstToServe, end: set.endOffset },
        winner: leader,
      };
    }
    const { winnerGames, loserGames, tiebreak } = setScore(random);
    sets.push({
      home: setWinner === 'home' ? winnerGames : loserGames,
      away: setWinner === 'away' ? winnerGames : loserGames,
      tiebreak: tiebreak
        ? {
            home: setWinner === 'home' ? tiebreak.winner : tiebreak.loser,
            away: setWinner === 'away' ? tiebreak.winner : tiebreak.loser,
          }
        : undefined,
      startOffset: offset,
      endOffset: offset + duration,
    });
    won[setWinner] += 1;
    offset += duration + SET_BREAK_SEC;
  }
  const last = sets[sets.length - 1] as TennisSet;
  return {
    play: { sets, retired: undefined, withdrew: undefined, firstToServe, end: last.endOffset },
    winner: won.home === 2 ? 'home' : 'away',
  };
}

function setScore(random: Random): {
  winnerGames: number;
  loserGames: number;
  tiebreak?: { winner: number; loser: number };
} {
  const roll = random.next();
  if (roll < 0.7) return { winnerGames: 6, loserGames: random.pick([0, 1, 2, 2, 3, 3, 3, 4, 4, 4]) };
  if (roll < 0.82) return { winnerGames: 7, loserGames: 5 };
  const loser = random.int(0, 8);
  return { winnerGames: 7, loserGames: 6, tiebreak: { winner: Math.max(7, loser + 2), loser } };
}
