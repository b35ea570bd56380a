import { type Config, ConfigError, type ConfigIssue, parseSchedule, type StageSettings } from '@matchflow/config';
import type { Db } from '@matchflow/db';
import type { Producer } from '@matchflow/queues';
import type { Logger } from '@matchflow/telemetry';
import type { Job } from 'bullmq';
import type { z } from 'zod';
import type { Fetcher } from './ingest-match.js';
import type { StageBudget, StageWork } from './stage-work.js';

/**
 * The stage registry: every stage the fleet knows, in one place. The worker starts a BullMQ
 * worker per registered queue and hands each job to its stage; the flow builder chains the
 * stages of a run by what they depend on; the CLI (`matchflow stage list|run`), the scheduler
 * and the ops page list what is registered. Adding a stage is one file with its definition and
 * one line in `defaultStageRegistry` (docs/adding-a-stage.md).
 */

/** What a stage's processor gets from the process that runs it. */
export interface StageRuntime {
  db: Db;
  config: Config;
  logger: Logger;
  producer: Producer;
  registry: StageRegistry;
  /** Upstream access per configured source, through the fleet's shared limiter and breaker. */
  fetcher: (source: string) => Fetcher | undefined;
  /** Which process ran a stage, as recorded in its counters. */
  workerId: string;
}

interface StageBase {
  /** Lowercase, `-` separated: the CLI's and the config's name for it. */
  name: string;
  /** The BullMQ queue its jobs go to (usually its name). */
  queue: string;
  /** The BullMQ job name: says what happens (`players.enrich`). */
  jobName: string;
  /** One line for `matchflow stage list` and the ops page. */
  summary: string;
  /** Its job payload: checked when enqueued and again when processed. */
  payload: z.ZodType;
  /** Stages whose output it reads: it runs after them in a run. */
  dependsOn: readonly string[];
  /** Jobs at once per worker process. */
  concurrency: (config: Config) => number;
  /** What a job was about, for its stage row (`demo-league.52186`, a pool, a match id). */
  scopeKey: (payload: unknown) => string;
}

/**
 * A stage of the competition run flow (discover, ingest, ratings, build): its processor is the
 * job handler itself, and it records its own stage rows.
 */
export interface PipelineStage extends StageBase {
  kind: 'pipeline';
  /** Whether its job failing for good ends the run (ingests are set aside instead). */
  failureEndsRun: boolean;
  process: (runtime: StageRuntime, job: Job, token: string | undefined) => Promise<unknown>;
}

/**
 * A standalone stage: runnable on its own (`matchflow stage run`, its schedule) and optionally
 * inside competition runs. The runner records its run and stage rows, budget, events and
 * metrics; the stage supplies only its work.
 */
export interface StandaloneStage extends StageBase {
  kind: 'standalone';
  /** Default budget of one run; `stages.<name>` in the config and the CLI's flags override it. */
  budget: StageBudget;
  /** When it runs on its own unless `stages.<name>.schedule` says otherwise; `off` for never. */
  schedule: string;
  work: StageWork;
}

export type StageDefinition = PipelineStage | StandaloneStage;

export class StageRegistry {
  private readonly byName = new Map<string, StageDefinition>();
  private readonly byQueueName = new Map<string, StageDefinition>();

  constructor(definitions: readonly StageDefinition[] = []) {
    for (const definition of definitions) this.register(definition);
  }

  /** Add a stage; its name and queue must be new, and what it depends on registered already. */
  register(definition: StageDefinition): this {
    if (!/^[a-z][a-z0-9-]*$/.test(definition.name))
      throw new Error(`stage name '${definition.name}' must be lowercase letters, digits and -`);
    if (this.byName.has(definition.name)) throw new Error(`stage '${definition.name}' is registered twice`);
    if (this.byQueueName.has(definition.queue))
      throw new Error(
        `queue '${definition.queue}' already belongs to stage '${this.byQueueName.get(definition.queue)?.name}'`,
      );
    if (RESERVED_QUEUES.includes(definition.queue)) throw new Error(`queue '${definition.queue}' is reserved`);
    for (const dependency of definition.dependsOn) {
      if (!this.byName.has(dependency))
        throw new Error(`stage '${definition.name}' depends on '${dependency}', which is not registered before it`);
    }
    this.byName.set(definition.name, definition);
    this.byQueueName.set(definition.queue, definition);
    return this;
  }

  get(name: string): StageDefinition | undefined {
    return this.byName.get(name);
  }

  byQueue(queue: string): StageDefinition | undefined {
    return this.byQueueName.get(queue);
  }

  /** Every stage, in registration order (each after what it depends on). */
  all(): StageDefinition[] {
    return [...this.byName.values()];
  }

  standalone(): StandaloneStage[] {
    return this.all().filter((stage): stage is StandaloneStage => stage.kind === 'standalone');
  }

  /** The queues of every stage. */
  queues(): string[] {
    return this.all().map((stage) => stage.queue);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** A stage's settings from the config, or the defaults when it has none. */
  settings(config: Pick<Config, 'stages'>, name: string): StageSettings {
    return config.stages[name] ?? { enabled: true, timezone: 'UTC', missedRuns: 'skip', inRuns: false };
  }

  /** The budget one run of a stage gets: CLI flags over the config over the stage's defaults. */
  budget(config: Pick<Config, 'stages'>, stage: StandaloneStage, overrides: Partial<StageBudget> = {}): StageBudget {
    const settings = this.settings(config, stage.name);
    return {
      batchSize: overrides.batchSize ?? settings.batchSize ?? stage.budget.batchSize,
      maxItems: overrides.maxItems ?? settings.maxItems ?? stage.budget.maxItems,
      maxRuntimeMs: overrides.maxRuntimeMs ?? settings.maxRuntime ?? stage.budget.maxRuntimeMs,
    };
  }

  /** The stage's schedule expression, or undefined when it is off or the stage disabled. */
  schedule(config: Pick<Config, 'stages'>, stage: StandaloneStage): string | undefined {
    const settings = this.settings(config, stage.name);
    const expression = settings.schedule ?? stage.schedule;
    return settings.enabled && expression !== 'off' ? expression : undefined;
  }

  /** The standalone stages every competition run includes, in dependency order. */
  inRuns(config: Pick<Config, 'stages'>): StandaloneStage[] {
    return this.standalone().filter((stage) => {
      const settings = this.settings(config, stage.name);
      return settings.enabled && settings.inRuns;
    });
  }

  /**
   * Refuse settings for stages that are not registered (a misspelt `stages.playres` would
   * otherwise be ignored in silence) and for pipeline stages, which have none.
   *
   * @throws ConfigError naming each bad key.
   */
  checkConfig(config: Pick<Config, 'stages'> & { configFile?: string | undefined }): void {
    const issues: ConfigIssue[] = [];
    const known = this.standalone().map((stage) => stage.name);
    for (const name of Object.keys(config.stages)) {
      const stage = this.get(name);
      if (!stage)
        issues.push({ path: `stages.${name}`, message: `unknown stage (registered: ${known.join(', ') || 'none'})` });
      else if (stage.kind !== 'standalone')
        issues.push({ path: `stages.${name}`, message: `'${name}' is a stage of every run and takes no settings` });
    }
    for (const stage of this.standalone()) {
      try {
        parseSchedule(stage.schedule === 'off' ? '0 0 * * *' : stage.schedule);
      } catch (error) {
        issues.push({ path: `stages.${stage.name}.schedule`, message: `default: ${(error as Error).message}` });
      }
    }
    if (issues.length > 0) throw new ConfigError(issues, config.configFile);
  }
}

/** Queues the fleet uses for itself. */
const RESERVED_QUEUES: readonly string[] = ['maintenance', 'schedule'];
