import { defaultStageRegistry } from '../stages/default-registry.js';
import type { StageRegistry } from '../stages/registry.js';

/** Queues a Fleet works besides its stages': maintenance and the schedule's ticks. */
export const FLEET_OWN_QUEUES = ['maintenance', 'schedule'] as const;

/** Every queue a Fleet works by default: each registered stage's, maintenance and the ticks. */
export function fleetQueues(registry: StageRegistry = defaultStageRegistry()): string[] {
  return [...registry.queues(), ...FLEET_OWN_QUEUES];
}
