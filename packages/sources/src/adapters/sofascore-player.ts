import type { CanonicalPlayerProfile } from '../canonical.js';
import { SofascorePlayer } from '../contracts/sofascore-player.js';
import { parseContract } from '../contracts/validate.js';
import { SOFASCORE_ENDPOINTS } from './sofascore.js';

const FEET = { Right: 'right', Left: 'left', Both: 'both' } as const;

/**
 * A player's profile from `GET player/{id}`: what enrichment fills in. A field the upstream
 * leaves out (or sends empty) is undefined, never guessed.
 *
 * @throws ContractViolation naming the path of every field that breaks the contract.
 */
export function mapSofascorePlayer(body: unknown, source: string): CanonicalPlayerProfile {
  const { player } = parseContract(SofascorePlayer, body, { source, endpoint: SOFASCORE_ENDPOINTS.player });
  return {
    source,
    sourceId: String(player.id),
    name: player.name,
    shortName: nonEmpty(player.shortName),
    position: nonEmpty(player.position),
    nationality: nonEmpty(player.country?.alpha3 ?? player.country?.alpha2)?.toUpperCase(),
    dateOfBirth:
      player.dateOfBirthTimestamp === undefined
        ? undefined
        : new Date(player.dateOfBirthTimestamp * 1000).toISOString().slice(0, 10),
    heightCm: player.height,
    preferredFoot: player.preferredFoot === undefined ? undefined : FEET[player.preferredFoot],
    shirtNumber: player.shirtNumber ?? shirtNumberOf(player.jerseyNumber),
    teamSourceId: player.team === undefined ? undefined : String(player.team.id),
    marketValueEur: marketValueEur(player),
  };
}

function nonEmpty(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** `"7"` -> 7; anything but plain digits (`""`, `"7A"`) says nothing. */
function shirtNumberOf(jerseyNumber: string | undefined): number | undefined {
  return jerseyNumber !== undefined && /^\d{1,3}$/.test(jerseyNumber) ? Number(jerseyNumber) : undefined;
}

/**
 * Euros only: a value quoted in another currency is left out rather than converted at a rate
 * we do not have. `proposedMarketValue` alone carries no currency; the recordings show it equal
 * to the EUR value of `proposedMarketValueRaw`, so it is read as euros when that is absent.
 */
function marketValueEur(player: SofascorePlayer['player']): number | undefined {
  const raw = player.proposedMarketValueRaw;
  if (raw) return raw.currency === 'EUR' ? raw.value : undefined;
  return player.proposedMarketValue;
}
