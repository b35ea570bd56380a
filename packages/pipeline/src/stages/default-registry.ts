import { playersStage } from './enrich-players.js';
import { oddsStage } from './poll-odds.js';
import { StageRegistry } from './registry.js';
import { buildStage, discoverStage, ingestStage, ratingsStage } from './run-flow-stages.js';

/**
 * The stages the fleet runs, each after the ones it depends on. A new stage is its own file
 * exporting a definition, and one line here (docs/adding-a-stage.md).
 */
export function defaultStageRegistry(): StageRegistry {
  return new StageRegistry([discoverStage, ingestStage, ratingsStage, buildStage, playersStage, oddsStage]);
}
