import { z } from 'zod';

/*
 * `GET player/{id}`: what player enrichment reads, and nothing more; other keys pass. Shape as
 * in the recorded answer quoted by tommhe14/sofascore-wrapper (`sofascore_wrapper/player.py`,
 * `Player.get_player`). Sofascore leaves out what it does not know (no `height`, no
 * `preferredFoot`, ...), so every profile field is optional; one that is there must have the
 * recorded type, or the contract fails naming its path.
 */

const id = z.number().int().nonnegative();

/** Unix seconds within 1900..9999, as in contracts/sofascore.ts: a Date must be able to hold it. */
const unixSeconds = z.number().int().min(-2_208_988_800).max(253_402_300_799);

/** `GET player/{id}` */
export const SofascorePlayer = z.looseObject({
  player: z.looseObject({
    id,
    name: z.string().min(1),
    shortName: z.string().optional(),
    /** `G`, `D`, `M`, `F` in football. */
    position: z.string().optional(),
    /** Centimetres. */
    height: z.number().int().positive().max(300).optional(),
    preferredFoot: z.enum(['Right', 'Left', 'Both']).optional(),
    dateOfBirthTimestamp: unixSeconds.optional(),
    country: z.looseObject({ alpha2: z.string().optional(), alpha3: z.string().optional() }).optional(),
    shirtNumber: z.number().int().nonnegative().optional(),
    /** The shirt number as text; read only when `shirtNumber` is absent. */
    jerseyNumber: z.string().optional(),
    team: z.looseObject({ id }).optional(),
    proposedMarketValue: z.number().nonnegative().optional(),
    proposedMarketValueRaw: z.looseObject({ value: z.number().nonnegative(), currency: z.string().min(1) }).optional(),
  }),
});
export type SofascorePlayer = z.output<typeof SofascorePlayer>;
