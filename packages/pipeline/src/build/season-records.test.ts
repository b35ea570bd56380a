import { describe, expect, it } from 'vitest';
import { appearanceRecords, tennisRecords } from './season-records.js';

describe('appearanceRecords', () => {
  const lineup = (matchId: string, playerId: string, teamId: string, starter: boolean, minutes: number | null) => ({
    matchId,
    playerId,
    teamId,
    starter,
    minutes,
  });
  const incident = (matchId: string, kind: string, playerId: string | null, kindClass: string) => ({
    matchId,
    kind,
    playerId,
    detail: { class: kindClass },
  });

  it('counts appearances, starts, minutes, goals and cards, and leaves unused substitutes out', () => {
    const records = appearanceRecords(
      [
        lineup('m1', 'ann', 'reds', true, 90),
        lineup('m1', 'bob', 'reds', false, 20),
        lineup('m1', 'cat', 'reds', false, null),
        lineup('m2', 'ann', 'reds', true, 64),
        lineup('m2', 'cat', 'reds', false, 0),
      ],
      [
        incident('m1', 'goal', 'ann', 'regular'),
        incident('m1', 'goal', 'ann', 'penalty'),
        incident('m1', 'goal', 'bob', 'ownGoal'),
        incident('m2', 'card', 'ann', 'yellow'),
        incident('m2', 'card', 'ann', 'yellowRed'),
        incident('m2', 'card', 'cat', 'red'),
        incident('m2', 'period', null, ''),
      ],
    );
    expect(records).toEqual([
      {
        playerId: 'ann',
        teamId: 'reds',
        appearances: 2,
        starts: 2,
        minutes: 154,
        goals: 2,
        yellowCards: 1,
        redCards: 1,
      },
      {
        playerId: 'bob',
        teamId: 'reds',
        appearances: 1,
        starts: 0,
        minutes: 20,
        goals: 0,
        yellowCards: 0,
        redCards: 0,
      },
      // Sent off from the bench: a card, no appearance.
      { playerId: 'cat', teamId: 'reds', appearances: 0, starts: 0, minutes: 0, goals: 0, yellowCards: 0, redCards: 1 },
    ]);
  });

  it('keeps a player who changed clubs mid-season apart per team, and is independent of input order', () => {
    const appearances = [lineup('m1', 'dan', 'reds', true, 90), lineup('m9', 'dan', 'blues', true, 90)];
    const incidents = [incident('m9', 'goal', 'dan', 'regular')];
    const records = appearanceRecords(appearances, incidents);
    expect(records.map((record) => [record.teamId, record.goals])).toEqual([
      ['blues', 1],
      ['reds', 0],
    ]);
    expect(appearanceRecords([...appearances].reverse(), incidents)).toEqual(records);
  });
});

describe('tennisRecords', () => {
  it('counts won and lost per surface, retirements as losses, and skips walkovers', () => {
    const match = (homeId: string, awayId: string, winner: string, statusDetail: string, surface: string | null) => ({
      homeId,
      awayId,
      winner,
      statusDetail,
      surface,
    });
    expect(
      tennisRecords([
        match('ana', 'bea', 'home', 'regular', 'clay'),
        match('bea', 'ana', 'away', 'retired', 'clay'),
        match('ana', 'bea', 'away', 'walkover', 'clay'),
        match('ana', 'cleo', 'away', 'regular', null),
      ]),
    ).toEqual([
      { playerId: 'ana', surface: 'clay', played: 2, won: 2, lost: 0, retired: 0 },
      { playerId: 'ana', surface: 'unknown', played: 1, won: 0, lost: 1, retired: 0 },
      { playerId: 'bea', surface: 'clay', played: 2, won: 0, lost: 2, retired: 1 },
      { playerId: 'cleo', surface: 'unknown', played: 1, won: 1, lost: 0, retired: 0 },
    ]);
  });
});
