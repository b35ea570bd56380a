import type { Redis } from 'ioredis';

/**
 * Lua prelude: `now` as Redis' own clock in milliseconds. Every fleet decision uses it, so the
 * clocks of the processes asking never matter.
 */
export const LUA_NOW_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

export type ScriptDefinitions = Record<string, { numberOfKeys: number; lua: string }>;

const defined = new WeakMap<Redis, Set<string>>();

/**
 * Register scripts as commands on a client, once per client. ioredis sends them by SHA and
 * falls back to the full script after a Redis restart emptied its script cache.
 */
export function withScripts<Commands>(redis: Redis, scripts: ScriptDefinitions): Redis & Commands {
  const names = defined.get(redis) ?? new Set<string>();
  for (const [name, definition] of Object.entries(scripts)) {
    if (!names.has(name)) {
      redis.defineCommand(name, definition);
      names.add(name);
    }
  }
  defined.set(redis, names);
  return redis as Redis & Commands;
}
