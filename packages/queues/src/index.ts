export {
  BuildJob,
  DiscoverJob,
  IngestJob,
  JOBS,
  jobIds,
  MAX_SELECTED_MATCHES,
  MaintenanceJob,
  MaintenanceTask,
  newRunId,
  PAYLOADS,
  QUEUES,
  type QueueName,
  RatingsJob,
  RunId,
  ScheduleId,
  ScheduleTick,
  StageBudgetPayload,
  StageJob,
  Trigger,
} from './catalog.js';
export { assertNoEviction, type ConnectionRole, createRedis, evictionPolicy } from './connection.js';
export { InvalidJobPayload, RedisEvictionPolicyError } from './errors.js';
export { BACKFILL_PRIORITY, defaultJobOptions } from './options.js';
export { Producer, type ProducerOptions, type RunFlow, type StageStep, validatePayload } from './producer.js';
