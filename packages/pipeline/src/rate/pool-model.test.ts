import { type Config, loadConfig, RATING_PRESETS } from '@matchflow/config';
import { PRESET_NAMES, PRESETS } from '@matchflow/ratings';
import { describe, expect, it } from 'vitest';
import { poolModel, type TerminalMatch, toEloMatch } from './pool-model.js';

const config = (ratingPools: unknown, weight?: string): Config =>
  loadConfig(
    {},
    JSON.stringify({
      sources: { s: { kind: 'sofascore', baseUrl: 'http://127.0.0.1:4010/api/v1' } },
      ratingPools,
      competitions: [
        { id: 'league', source: 's', competition: 1, seasons: [1], ratingPool: 'p', ratingWeight: weight },
        { id: 'other', source: 's', competition: 2, seasons: [1], ratingPool: 'q' },
      ],
    }),
  );

describe('poolModel', () => {
  it('offers the presets the engine has', () => {
    expect([...RATING_PRESETS].sort()).toEqual([...PRESET_NAMES].sort());
  });

  it('starts from the preset and applies the pool keys over it', () => {
    const model = poolModel(config({ p: { preset: 'tennis', homeAdvantage: 10 }, q: {} }), 'p');
    expect(model.params).toEqual({ ...PRESETS.tennis, homeAdvantage: 10 });
    expect(model.competitions).toEqual({ league: null });
    expect(model.batchSize).toBe(1000);
  });

  it('hashes what decides the ratings, and nothing else', () => {
    const hash = (pools: unknown, weight?: string) => poolModel(config(pools, weight), 'p').hash;
    const base = hash({ p: { k: 20, scale: 400 }, q: {} });
    expect(hash({ p: { scale: 400, k: 20 }, q: {} })).toBe(base);
    expect(hash({ p: { k: 20, scale: 400, batchSize: 10 }, q: {} })).toBe(base);
    expect(hash({ p: { k: 21, scale: 400 }, q: {} })).not.toBe(base);
    expect(hash({ p: { k: 20, scale: 400 }, q: {} }, 'cup')).not.toBe(base);
  });

  it('refuses a pool that is not configured', () => {
    expect(() => poolModel(config({ p: {}, q: {} }), 'nope')).toThrow(/pool 'nope' is not configured/);
  });
});

describe('toEloMatch', () => {
  const model = poolModel(config({ p: {}, q: {} }, 'cup'), 'p');
  const match = (extra: Partial<TerminalMatch>): TerminalMatch => ({
    id: 'm1',
    startTime: new Date(0),
    competitionId: 'league',
    homeId: 'h',
    awayId: 'a',
    homeScore: 1,
    awayScore: 1,
    winner: 'draw',
    statusDetail: 'after-penalties',
    neutral: true,
    seasonLabel: '2024',
    ...extra,
  });

  it('rates a shoot-out by its score (a draw), with the competition weight', () => {
    expect(toEloMatch(match({ winner: 'home' }), model)).toEqual({
      id: 'm1',
      home: 'h',
      away: 'a',
      homeScore: 1,
      awayScore: 1,
      neutral: true,
      season: '2024',
      weight: 'cup',
    });
  });

  it('takes the winner of a walkover or retirement as an explicit result', () => {
    expect(
      toEloMatch(match({ statusDetail: 'walkover', homeScore: null, awayScore: null, winner: 'away' }), model),
    ).toMatchObject({ result: 0, homeScore: 0 });
    expect(
      toEloMatch(match({ statusDetail: 'retired', homeScore: 1, awayScore: 0, winner: 'home' }), model),
    ).toMatchObject({ result: 1 });
  });
});
