import { z } from 'zod';
import { parseSchedule } from './schedule.js';

/*
 * Every setting matchflow reads, in one schema. Values may come from YAML (typed) or from
 * environment variables (always strings), so numeric and boolean fields accept numeric and
 * boolean strings; nothing else is coerced.
 */

/** Run a refinement even when other keys failed, so one pass reports every problem. */
const ALWAYS = { when: () => true };

/** A property of a value that may not be an object (refinements that always run see raw input). */
function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function keysOf(value: unknown): string[] {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value) : [];
}

const fromNumericString = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;

const fromBooleanString = (value: unknown): unknown => {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
};

/** A finite number; accepts a numeric string (env overrides). */
const num = () => z.preprocess(fromNumericString, z.number());
/** A whole number; accepts a numeric string (env overrides). */
const int = () => z.preprocess(fromNumericString, z.number().int());
const positiveInt = () => z.preprocess(fromNumericString, z.number().int().positive());
const nonNegativeInt = () => z.preprocess(fromNumericString, z.number().int().nonnegative());
const fraction = () => z.preprocess(fromNumericString, z.number().min(0).max(1));
const bool = () => z.preprocess(fromBooleanString, z.boolean());

/** An upstream identifier: YAML may spell it as a number, we always hold a string. */
const upstreamId = z
  .union([z.string().trim().min(1), z.number().int().nonnegative()], {
    error: 'must be an id: a non-empty string or a whole number',
  })
  .transform((value) => String(value));

const name = (what: string) =>
  z.string().regex(/^[a-z][a-z0-9-]*$/, `${what} must be lowercase letters, digits and '-', starting with a letter`);

const httpUrl = z.url({
  protocol: /^https?$/,
  error: 'must be an http:// or https:// URL',
});

// `new URL` takes `postgres:/db` (no `//`, so no host part) for a URL of an unknown scheme; the
// drivers would then quietly pick a default host. Require the `//`.
const redisUrl = z
  .url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' })
  .regex(/^rediss?:\/\//i, 'must be a redis:// or rediss:// URL');

const postgresUrl = z
  .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' })
  .regex(/^postgres(ql)?:\/\//i, 'must be a postgres:// or postgresql:// URL');

export const Environment = z.enum(['dev', 'staging', 'prod']);
export type Environment = z.output<typeof Environment>;

export const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
export type LogLevel = z.output<typeof LogLevel>;

export const SourceKind = z.enum(['sofascore', 'football-data', 'openfootball']);
export type SourceKind = z.output<typeof SourceKind>;

/** Source kinds whose upstream refuses requests without an API token. */
const SOURCE_KINDS_NEEDING_TOKEN: ReadonlySet<SourceKind> = new Set(['football-data']);

export const RateLimitSettings = z
  .strictObject({
    /** Requests the whole fleet may start per interval, for this source. */
    requestsPerInterval: positiveInt().default(10),
    intervalMs: positiveInt().default(1_000),
    /** Requests in flight at once across the whole fleet. */
    maxConcurrent: positiveInt().default(4),
    /** Most of the budget backfill traffic may use while scheduled work is waiting (0..1). */
    backfillShare: fraction().default(0.5),
    /**
     * Unset (the default), a finished request counts in the window until one interval after its
     * answer came back: sound whatever the upstream does, but a slow answer holds its place.
     * Set, it counts from when this process wrote it to the socket plus this many milliseconds,
     * for the spread of one-way delay to the upstream's counter across the fleet (network jitter,
     * the upstream's own queueing): more of the budget, as safe as the guard is wide.
     * docs/adr/0001-rate-limiter.md has the reasoning and the measurements.
     */
    sendGuardMs: z
      .preprocess(
        fromNumericString,
        z
          .number({ error: 'must be a whole number of milliseconds (0 or more)' })
          .int({ error: 'must be a whole number of milliseconds (0 or more)' })
          .min(0, { error: 'must be a whole number of milliseconds (0 or more)' })
          .max(60_000, { error: 'must be at most 60000 ms (a spread of one-way delay to the upstream, not a pause)' }),
      )
      .optional(),
  })
  .refine((rateLimit) => rateLimit.sendGuardMs === undefined || rateLimit.sendGuardMs < rateLimit.intervalMs, {
    path: ['sendGuardMs'],
    error: 'must be less than intervalMs (it pads a request send time by the spread of one-way delay to the upstream)',
  });

export const TimeoutSettings = z.strictObject({
  connectMs: positiveInt().default(5_000),
  headersMs: positiveInt().default(10_000),
  bodyMs: positiveInt().default(15_000),
});

export const RetrySettings = z
  .strictObject({
    /** Attempts per job, the first included. */
    attempts: positiveInt().default(5),
    backoffMs: positiveInt().default(1_000),
    maxBackoffMs: positiveInt().default(60_000),
  })
  .refine((retry) => retry.maxBackoffMs >= retry.backoffMs, {
    path: ['maxBackoffMs'],
    error: 'must be at least backoffMs',
  });

export const BreakerSettings = z.strictObject({
  /** Consecutive failures that open the breaker. */
  consecutiveFailures: positiveInt().default(5),
  /** Failure ratio over the last `windowRequests` requests that opens the breaker. */
  failureRate: fraction().default(0.5),
  windowRequests: positiveInt().default(20),
  /** How long the breaker stays open before letting one probe through. */
  cooldownMs: positiveInt().default(30_000),
  /** After a 403 "challenge" (we are blocked): stay open this long, and alert. */
  blockedCooldownMs: positiveInt().default(3_600_000),
});

const timeZone = z.string().superRefine((zone, ctx) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    ctx.addIssue({ code: 'custom', message: `is not a known IANA time zone` });
  }
});

export const SourceSettings = z
  .strictObject({
    kind: SourceKind,
    baseUrl: httpUrl,
    headers: z.record(z.string(), z.string()).default({}),
    credentials: z
      .strictObject({
        token: z.string().min(1, 'must not be empty').optional(),
      })
      .prefault({}),
    rateLimit: RateLimitSettings.prefault({}),
    timeouts: TimeoutSettings.prefault({}),
    /** Zone of local kick-off times in the upstream's data (openfootball has no offsets). */
    timezone: timeZone.default('UTC'),
    retry: RetrySettings.prefault({}),
    breaker: BreakerSettings.prefault({}),
  })
  .superRefine((source, ctx) => {
    const kind = SourceKind.safeParse(field(source, 'kind')).data;
    const token = field(field(source, 'credentials'), 'token');
    if (kind && SOURCE_KINDS_NEEDING_TOKEN.has(kind) && (token === undefined || token === '')) {
      ctx.addIssue({
        code: 'custom',
        path: ['credentials', 'token'],
        message: `a ${kind} source needs an API token (set it in the file, or with \${VAR} interpolation, or an env override)`,
      });
    }
  }, ALWAYS);
export type SourceSettings = z.output<typeof SourceSettings>;

/** A cron expression (5 fields, or 6 with seconds) or an interval `every <n><s|m|h|d>` (schedule.ts). */
const scheduleExpression = z.string().superRefine((expression, ctx) => {
  try {
    parseSchedule(expression);
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: `is not a valid cron expression or 'every <n><s|m|h|d>' interval (${(error as Error).message})`,
    });
  }
});

/** After downtime, a schedule's missed ticks: run `once` to catch up, or `skip` to the next tick. */
export const MissedRunPolicy = z.enum(['skip', 'once']);
export type MissedRunPolicy = z.output<typeof MissedRunPolicy>;

/** League-table rules of a competition (docs/curated.md). */
export const StandingsSettings = z.strictObject({
  points: z.strictObject({ win: int().default(3), draw: int().default(1), loss: int().default(0) }).prefault({}),
  /** Applied in order to the rows still tied; rows tied on all of them are ordered by id. */
  tiebreakers: z
    .array(z.enum(['points', 'goalDifference', 'goalsFor', 'goalsAgainst', 'wins', 'headToHead']))
    .min(1)
    .refine((list) => new Set(list).size === list.length, 'must not repeat a tiebreaker')
    .default(['points', 'goalDifference', 'goalsFor', 'headToHead']),
  /** Points added (negative: deducted) to a team in a season, as real leagues do. */
  adjustments: z
    .array(
      z.strictObject({
        /** The upstream's team id. */
        team: upstreamId,
        /** The upstream's season id. */
        season: upstreamId,
        points: int(),
        reason: z.string().optional(),
      }),
    )
    .default([]),
});
export type StandingsSettings = z.output<typeof StandingsSettings>;

export const CompetitionSettings = z.strictObject({
  /** Our name for this competition; used in job ids, snapshots and the CLI. */
  id: name('competition id'),
  /** Key of an entry in `sources`. */
  source: z.string().min(1),
  /** The upstream's id for the competition (Sofascore unique tournament, football-data code). */
  competition: upstreamId,
  /** Upstream season ids to keep fresh. */
  seasons: z.array(upstreamId).min(1, 'must list at least one season'),
  /** When the scheduler starts a run per season: a cron expression in `timezone`, or `every 30m`. */
  schedule: scheduleExpression.default('0 * * * *'),
  timezone: timeZone.default('UTC'),
  /** Ticks missed while nothing ran (docs/scheduling.md): catch up `once`, or `skip` them. */
  missedRuns: MissedRunPolicy.default('once'),
  /** Key of an entry in `ratingPools`. */
  ratingPool: z.string().min(1),
  /** Weight key of this competition's matches in its pool (`matchWeights`, `diffMultipliers`). */
  ratingWeight: z.string().min(1).optional(),
  standings: StandingsSettings.prefault({}),
});
export type CompetitionSettings = z.output<typeof CompetitionSettings>;

/** K by games played: `a / (n + b)^c` (FiveThirtyEight's tennis K is { a: 250, b: 5, c: 0.4 }). */
const KSchedule = z
  .strictObject({ a: num().pipe(z.number().positive()), b: num(), c: num() })
  .refine((k) => k.b > 0 || k.c === 0, { path: ['b'], message: 'must be positive (K would be infinite at 0 games)' });

export const MarginOfVictory = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('none') }),
  /** ln(max(margin, 1) + 1) * a / (a + b * winnerDiff): FiveThirtyEight's autocorrelation-corrected multiplier. */
  z.strictObject({ kind: z.literal('log-margin'), a: num().pipe(z.number().positive()), b: num() }),
  /** 1 for a margin of at most 1, 1.5 for 2, (11 + margin) / 8 beyond (eloratings.net). */
  z.strictObject({ kind: z.literal('goal-difference') }),
]);

/** Presets of the rating engine (packages/ratings PRESETS; a test keeps the two lists equal). */
export const RATING_PRESETS = ['football', 'american-football', 'tennis'] as const;

const positiveNumber = () => num().pipe(z.number().positive());

/**
 * Elo parameters of a pool (DESIGN §7, docs/ratings.md). `preset` is the starting point; every
 * other key overrides it, and keys given by neither take the engine's defaults. So, unlike the
 * rest of the config, nothing here has a default of its own.
 */
export const RatingPoolSettings = z.strictObject({
  preset: z.enum(RATING_PRESETS).optional(),
  initial: num().optional(),
  /** Starting ratings by core participant id. */
  initialRatings: z.record(z.string(), num()).optional(),
  /** A constant, or a schedule by games played `a / (n + b)^c`, each side its own. */
  k: z.union([positiveNumber(), KSchedule]).optional(),
  /** Points added to the home side's rating difference when the venue is not neutral. */
  homeAdvantage: num().optional(),
  /** Logistic scale: a difference of `scale` points means 10:1 odds. */
  scale: positiveNumber().optional(),
  mov: MarginOfVictory.optional(),
  /** K multipliers by weight key (a competition's `ratingWeight`). */
  matchWeights: z.record(z.string(), positiveNumber()).optional(),
  /** Multipliers on the rating difference by weight key (FiveThirtyEight's 1.2 for playoffs). */
  diffMultipliers: z.record(z.string(), positiveNumber()).optional(),
  /** At a participant's first match of a new season: R = R(1 - fraction) + mean * fraction. */
  seasonRegression: z
    .strictObject({
      fraction: fraction(),
      mean: num().optional(),
      /** "PARTICIPANT_ID|SEASON" -> the rating to start that season with. */
      overrides: z.record(z.string().regex(/^.+\|.+$/, 'keys are "PARTICIPANT|SEASON"'), num()).optional(),
    })
    .optional(),
  /** Walkovers, retirements, awarded matches: rate by their explicit result (`count`) or not (`skip`). */
  explicitResults: z.enum(['count', 'skip']).optional(),
  /** Matches rated per committed batch (each batch is one transaction with the checkpoint). */
  batchSize: positiveInt().default(1_000),
});
export type RatingPoolSettings = z.output<typeof RatingPoolSettings>;

/** Quality checks the build runs (docs/quality.md); a test keeps this list equal to the pipeline's. */
export const QUALITY_CHECKS = [
  'completeness.results',
  'completeness.scores',
  'completeness.lineups',
  'ranges.scores',
  'ranges.minutes',
  'consistency.standings',
  'consistency.one-side',
  'uniqueness.matches',
  'ratings.coverage',
  'freshness',
  'quarantine',
] as const;
export type QualityCheckName = (typeof QUALITY_CHECKS)[number];

export const QualitySettings = z.strictObject({
  /** Minimum share of past matches that have a final result. */
  minCompleteness: fraction().default(0.98),
  /** Minimum share of finished matches that have ratings. */
  minRatingsCoverage: fraction().default(1),
  /** Maximum share of payloads quarantined in a run before the run fails. */
  maxQuarantinedRatio: fraction().default(0.05),
  /** A competition whose newest data is older than this is stale (WARN). */
  freshnessMaxAgeHours: positiveInt().default(26),
  /** Per-check severity override: `warn`, `fail` or `off`. */
  severity: z.partialRecord(z.enum(QUALITY_CHECKS), z.enum(['warn', 'fail', 'off'])).default({}),
});

export const RetentionSettings = z.strictObject({
  /** Superseded or quarantined raw payloads older than this are deleted; never a resource's newest (docs/retention.md). */
  rawPayloadsDays: positiveInt().default(90),
  /** Finished runs older than this are deleted with their stage rows and quality results. */
  runHistoryDays: positiveInt().default(180),
  /** Published snapshots kept (the `latest` one is always kept). */
  snapshotsKeep: positiveInt().default(30),
  completedJobsKeep: nonNegativeInt().default(1_000),
  /** Completed jobs older than this are removed by the nightly `clean-queues` maintenance task. */
  completedJobsDays: positiveInt().default(7),
  failedJobsDays: positiveInt().default(14),
  /** Ops samples (`ops.samples`, the ops page's resource charts) older than this are deleted. */
  samplesDays: positiveInt().default(14),
});

/** `ops@example.com` or `matchflow <alerts@example.com>`: what nodemailer takes as an address. */
const mailbox = z
  .string()
  .trim()
  .regex(
    /^(?:[^<>@\r\n]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/,
    'must be an email address (ops@example.com or "Name <ops@example.com>")',
  );

/**
 * The SMTP server alert emails go through (nodemailer). `secure` is TLS from the first byte
 * (port 465); otherwise the connection is upgraded with STARTTLS when the server offers it.
 */
export const SmtpSettings = z
  .strictObject({
    host: z.string().trim().min(1),
    port: int().pipe(z.number().min(1).max(65_535)).default(587),
    /** Default: true on port 465 (implicit TLS), false otherwise (STARTTLS when offered). */
    secure: bool().optional(),
    /** Absent: no AUTH (a relay that trusts the host). `pass` is a secret: redacted wherever config is shown or logged. */
    auth: z.strictObject({ user: z.string().min(1), pass: z.string().min(1) }).optional(),
    /** Refuse a server certificate that does not verify. Turn off only for a relay with a self-signed certificate. */
    tlsRejectUnauthorized: bool().default(true),
  })
  .transform((smtp) => ({ ...smtp, secure: smtp.secure ?? smtp.port === 465 }));

/** Email alerts (docs/alerts.md): one message per notification, the same ones the webhook gets. */
export const EmailAlertSettings = z.strictObject({
  smtp: SmtpSettings,
  from: mailbox,
  to: z.array(mailbox).min(1, 'must list at least one address'),
  /** Starts every subject. Default: `[matchflow <env>]`. */
  subjectPrefix: z.string().min(1).optional(),
});
export type EmailAlertSettings = z.output<typeof EmailAlertSettings>;

/** Alerts (docs/alerts.md): derived from state, notified on change only. */
export const AlertSettings = z.strictObject({
  /**
   * Slack-compatible incoming webhook; alerts are also always appended to `log`. A secret (the
   * token is in its path): shown and logged as its origin only (`webhookOrigin`).
   */
  webhookUrl: httpUrl
    .refine(
      (text) => !URL.canParse(text) || (new URL(text).username === '' && new URL(text).password === ''),
      'must not carry credentials (user:password@host): an incoming webhook authenticates by its path',
    )
    .optional(),
  /** Email alerts over SMTP, beside the webhook; absent: no email. */
  email: EmailAlertSettings.optional(),
  /** The alerts log, one JSON line per notification. Defaults to `<logDir>/alerts.log`. */
  log: z.string().min(1).optional(),
  /** Renamed to `log` (the file holds resolved alerts too); a clear error instead of "unknown key". */
  failuresLog: z.never({ error: 'was renamed: use alerts.log (default <logDir>/alerts.log)' }).optional(),
  /** Deliveries per notification, the first included; then it is only in the log. */
  attempts: positiveInt().default(3),
  /** Delay before the second delivery attempt, doubled for each later one (with jitter). */
  backoffMs: positiveInt().default(1_000),
  timeoutMs: positiveInt().default(5_000),
  /** How often each process evaluates alerts (`startAlertLoop`). */
  intervalMs: positiveInt().default(60_000),
  /** A source's circuit breaker open (or half-open) longer than this raises `breaker-open`. */
  breakerOpenMs: positiveInt().default(600_000),
  /** A run still `running` after this long raises `stuck-run` (keep it below runs.staleAfterMs). */
  stuckRunMs: positiveInt().default(2 * 3_600_000),
  /** Last-success heartbeat files, one per competition-season. Defaults to `<dataDir>/heartbeats`. */
  heartbeatDir: z.string().min(1).optional(),
});

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '::1']);

export const DashboardSettings = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: int().pipe(z.number().min(0).max(65_535)).default(3_000),
    auth: z
      .strictObject({
        token: z.string().min(16, 'must be at least 16 characters').optional(),
        basic: z
          .strictObject({
            username: z.string().min(1),
            password: z.string().min(8, 'must be at least 8 characters'),
          })
          .optional(),
      })
      .prefault({}),
    /** Serve Bull Board read-only (no retry, promote or clean buttons). */
    readOnly: bool().default(false),
  })
  .superRefine((dashboard, ctx) => {
    const host = field(dashboard, 'host') ?? '127.0.0.1';
    const auth = field(dashboard, 'auth');
    if (typeof host === 'string' && !LOOPBACK_HOSTS.has(host) && !field(auth, 'token') && !field(auth, 'basic')) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth'],
        message: `the dashboard binds to ${host}, beyond loopback: set auth.token or auth.basic`,
      });
    }
  }, ALWAYS);

export const WorkerSettings = z.strictObject({
  /** Jobs each worker process runs at once, per queue. Ingest is I/O-bound; ratings has one writer per pool anyway. */
  concurrency: z
    .strictObject({
      discover: positiveInt().default(2),
      ingest: positiveInt().default(8),
      ratings: positiveInt().default(1),
      build: positiveInt().default(2),
    })
    .prefault({}),
  /** On SIGTERM, in-flight jobs get this long to finish before the worker stops anyway. */
  shutdownTimeoutMs: positiveInt().default(30_000),
  /** A job's lock lasts this long unless renewed; a worker that died loses its jobs after about lockDurationMs + stalledIntervalMs. */
  lockDurationMs: positiveInt().default(30_000),
  /** How often workers look for jobs whose worker died (stalled), to run them again. */
  stalledIntervalMs: positiveInt().default(30_000),
});

/**
 * The optional health listener of the worker and scheduler processes, which serve no HTTP
 * otherwise (the dashboard has its own /healthz and /readyz). Off unless `port` is set. It
 * answers `/healthz` (the process is up) and `/readyz` (Redis and the database answer) with a
 * status and booleans only, never an address or an error text, so binding it beyond loopback
 * (a container's probes) needs no credentials (docs/deployment.md, docs/security.md).
 */
export const HealthSettings = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  /** Absent: no listener. Give each process on one host its own port. */
  port: int().pipe(z.number().min(1).max(65_535)).optional(),
});

export const RunSettings = z.strictObject({
  /** A trigger for a scope whose previous run is still going: `skip` it, or `queue` it behind. */
  overlap: z.enum(['skip', 'queue']).default('skip'),
  /** A run still `running` after this long is presumed dead (the reaper closes it). */
  staleAfterMs: positiveInt().default(6 * 3_600_000),
  /**
   * A run carried by queue jobs whose jobs are all gone from Redis (flushed, or restarted without
   * persistence) is closed by the reaper once it is at least this old. Not much less than a
   * minute in production: a trigger records its run a moment before it enqueues the first job.
   */
  vanishedAfterMs: positiveInt().default(60_000),
});

const DURATION_UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** A duration like `55m`, `90s`, `2h` or `1500ms`, in milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(`'${text}' is not a duration like 90s, 55m or 2h`);
  const value = Number(match[1]) * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS];
  if (value <= 0) throw new Error(`'${text}' must be longer than zero`);
  return value;
}

const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value > 0) return value;
    ctx.addIssue({ code: 'custom', message: 'must be a positive whole number of milliseconds, or like 55m' });
    return z.NEVER;
  }
  try {
    return parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

/** The scheduler (apps/scheduler, docs/scheduling.md): BullMQ job schedulers kept equal to the config. */
export const SchedulerSettings = z.strictObject({
  /** How often each scheduler replica re-applies the schedules and looks for missed ticks. */
  syncIntervalMs: positiveInt().default(60_000),
  /** Nightly maintenance: the stale-run reaper, retention, cleaning finished queue jobs. */
  maintenance: z
    .strictObject({
      schedule: scheduleExpression.default('30 3 * * *'),
      timezone: timeZone.default('UTC'),
      missedRuns: MissedRunPolicy.default('once'),
    })
    .prefault({}),
  /**
   * Ops samples (docs/dashboard.md): how often the `sample-ops` maintenance task records Redis
   * memory, queue depths, upstream counters, breaker state, freshness age and process RSS/CPU
   * into `ops.samples` for the ops page's charts. A duration (`1m`, `30s`, at least 1 s) or
   * `off`.
   */
  opsSamples: z
    .strictObject({
      every: z.union([z.literal('off'), duration.pipe(z.number().min(1_000, 'must be at least 1s'))]).default(60_000),
    })
    .prefault({}),
});

/**
 * Settings of one registered stage (docs/adding-a-stage.md), keyed by its name. Absent keys take
 * the stage's own defaults from the registry; a name no stage is registered under is refused
 * when a process loads the registry.
 */
export const StageSettings = z.strictObject({
  /** A disabled stage is neither scheduled nor added to runs (`stage run` still runs it). */
  enabled: bool().default(true),
  /** When it runs on its own (its default when absent); `off` for never. */
  schedule: z.union([z.literal('off'), scheduleExpression]).optional(),
  timezone: timeZone.default('UTC'),
  missedRuns: MissedRunPolicy.default('skip'),
  /** Also run it inside every competition run, between ratings and build. */
  inRuns: bool().default(false),
  batchSize: positiveInt().optional(),
  maxItems: positiveInt().optional(),
  /** `55m`, `90s`, or milliseconds. */
  maxRuntime: duration.optional(),
});
export type StageSettings = z.output<typeof StageSettings>;

export const RedisSettings = z.strictObject({
  url: redisUrl.default('redis://127.0.0.1:6379'),
  /** BullMQ key prefix; the braces keep every queue of a flow in one Redis Cluster slot. */
  prefix: z.string().min(1).default('{matchflow}'),
});

export const DatabaseSettings = z.strictObject({
  /** PostgreSQL URL; when absent, an embedded PGlite database lives under `dataDir`. */
  url: postgresUrl.optional(),
  /** Connections in the pool (PostgreSQL only). */
  poolSize: positiveInt().default(10),
});

export const ConfigSchema = z
  .strictObject({
    env: Environment.default('dev'),
    logLevel: LogLevel.default('info'),
    redis: RedisSettings.prefault({}),
    database: DatabaseSettings.prefault({}),
    /** Working data: the embedded database, run state. Relative paths resolve against the config file. */
    dataDir: z.string().min(1).default('./.matchflow'),
    /** Defaults to `<dataDir>/logs`. */
    logDir: z.string().min(1).optional(),
    /** Where snapshots are published. Defaults to `<dataDir>/published`. */
    publishDir: z.string().min(1).optional(),
    sources: z.record(name('source name'), SourceSettings).default({}),
    competitions: z.array(CompetitionSettings).default([]),
    ratingPools: z.record(name('rating pool name'), RatingPoolSettings).default({}),
    quality: QualitySettings.prefault({}),
    retention: RetentionSettings.prefault({}),
    alerts: AlertSettings.prefault({}),
    dashboard: DashboardSettings.prefault({}),
    workers: WorkerSettings.prefault({}),
    health: HealthSettings.prefault({}),
    runs: RunSettings.prefault({}),
    scheduler: SchedulerSettings.prefault({}),
    stages: z.record(name('stage name'), StageSettings).default({}),
  })
  .superRefine(checkReferences, ALWAYS);

/**
 * Competitions must name a known source and rating pool, once each. Runs even when other keys
 * are invalid (so every problem is reported in one pass), hence it trusts no shape.
 */
function checkReferences(config: unknown, ctx: z.RefinementCtx): void {
  const competitions = field(config, 'competitions');
  if (!Array.isArray(competitions)) return;
  const sources = keysOf(field(config, 'sources'));
  const ratingPools = keysOf(field(config, 'ratingPools'));
  const seen = new Set<unknown>();
  competitions.forEach((competition: unknown, index) => {
    const id = field(competition, 'id');
    if (typeof id === 'string' && seen.has(id)) {
      ctx.addIssue({
        code: 'custom',
        path: ['competitions', index, 'id'],
        message: `duplicate competition id '${id}'`,
      });
    }
    seen.add(id);
    const source = field(competition, 'source');
    if (typeof source === 'string' && !sources.includes(source)) {
      ctx.addIssue({
        code: 'custom',
        path: ['competitions', index, 'source'],
        message: `unknown source '${source}' (known: ${listOrNone(sources)})`,
      });
    }
    const ratingPool = field(competition, 'ratingPool');
    if (typeof ratingPool === 'string' && !ratingPools.includes(ratingPool)) {
      ctx.addIssue({
        code: 'custom',
        path: ['competitions', index, 'ratingPool'],
        message: `unknown rating pool '${ratingPool}' (known: ${listOrNone(ratingPools)})`,
      });
    }
  });
}

function listOrNone(names: string[]): string {
  return names.length === 0 ? 'none' : names.join(', ');
}
