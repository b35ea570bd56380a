/**
 * Core ids are deterministic text, so re-normalising from raw reproduces every row: the source,
 * the kind of entity and the upstream's id (`sofascore.match.12000001`). Seasons are keyed by
 * our competition id and the upstream season id (`demo-league.50003`).
 */
export const coreIds = {
  participant: (source: string, kind: 'team' | 'player', sourceId: string) => `${source}.${kind}.${sourceId}`,
  match: (source: string, sourceId: string) => `${source}.match.${sourceId}`,
  season: (competitionId: string, seasonSourceId: string) => `${competitionId}.${seasonSourceId}`,
};
