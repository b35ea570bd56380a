import { type AlertSeverity, type Db, ops } from '@matchflow/db';
import {
  type AlertDelivery,
  type AlertNotification,
  AlertSender,
  type Logger,
  writeHeartbeat,
} from '@matchflow/telemetry';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import {
  type AlertConfig,
  type AlertKind,
  breakerProblems,
  lastSuccesses,
  type Problem,
  qualityProblems,
  REDIS_ALERT_KINDS,
  runFailedProblems,
  stageFailedProblems,
  staleProblems,
  stuckRunProblems,
} from './problems.js';

/*
 * Alerts are derived from state, not from events: each evaluation computes the set of open
 * problems (failed runs, quality FAILs, stuck runs, stale competitions, breakers, blocks) from
 * ops and Redis, compares it with the open rows of `ops.alerts`, and notifies only the
 * transitions: a new problem fires, a problem gone resolves, a problem that got worse escalates.
 * Evaluating every minute, from every process, therefore says each thing once.
 */

/** Orders evaluations across the fleet; transaction-scoped, so a crashed holder releases it. */
const ALERTS_LOCK = sql`hashtext('matchflow.alerts')`;

const SEVERITY_RANK: Record<AlertSeverity, number> = { warning: 1, critical: 2 };

export interface AlertDeps {
  db: Db;
  /** Where the breakers live. Without it, `breaker-open` and `blocked` are neither raised nor resolved. */
  redis?: Redis | undefined;
  config: AlertConfig;
  logger: Logger;
  /** Delivers the notifications (default: an `AlertSender` over `config.alerts`, made and closed per evaluation). */
  sender?: Pick<AlertSender, 'send'>;
}

export interface AlertEvaluation {
  /** The problems open now. */
  open: Problem[];
  /** The notifications this evaluation sent (firing, escalated, resolved), in that order. */
  notified: AlertNotification[];
  deliveries: AlertDelivery[];
  /** Kinds that could not be evaluated this time (Redis missing or down): left as they were. */
  unknown: AlertKind[];
  /** Heartbeat files (re)written. */
  heartbeats: number;
}

/**
 * The sender `evaluateAlerts` uses when none is given: the log, webhook and email of
 * `config.alerts`. Its owner calls `close()` when done (it holds the email transport).
 */
export function alertSender(config: Pick<AlertConfig, 'alerts'>, logger: Logger): AlertSender {
  return new AlertSender({
    webhookUrl: config.alerts.webhookUrl,
    email: config.alerts.email,
    logFile: config.alerts.log,
    attempts: config.alerts.attempts,
    backoffMs: config.alerts.backoffMs,
    timeoutMs: config.alerts.timeoutMs,
    logger,
  });
}

/**
 * Evaluate the alerts once (docs/alerts.md): compute the open problems, record the transitions in
 * `ops.alerts` and notify each of them once, then refresh the last-success heartbeat files.
 *
 * Safe from any number of processes at once: evaluations take turns under an advisory lock, and
 * each transition is a conditional write (insert unless an open row has the key; resolve only an
 * open row), so even two evaluations that saw the same change notify it once. Notifications go out
 * after the transaction commits; the webhook's retries never hold the lock.
 *
 * @param now the evaluation's clock (default: the current time); thresholds are measured against it.
 */
export async function evaluateAlerts(deps: AlertDeps & { now?: Date }): Promise<AlertEvaluation> {
  const { db, config, logger } = deps;
  const now = deps.now ?? new Date();
  const unknown: AlertKind[] = [];

  const transitions = await db.transaction(async (txn) => {
    const tx = txn as unknown as Db;
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${ALERTS_LOCK})`);
    // Read after the lock: the state this evaluation judges is never older than what the
    // previous holder already notified.
    const problems = [
      ...(await runFailedProblems(tx, config)),
      ...(await stageFailedProblems(tx)),
      ...(await qualityProblems(tx, config)),
      ...(await stuckRunProblems(tx, config, now)),
      ...(await staleProblems(tx, config, now)),
    ];
    if (deps.redis) {
      try {
        problems.push(...(await breakerProblems(deps.redis, config, now)));
      } catch (error) {
        logger.warn({ err: error }, 'alerts: could not read the breakers from redis; their alerts stay as they were');
        unknown.push(...REDIS_ALERT_KINDS);
      }
    } else {
      unknown.push(...REDIS_ALERT_KINDS);
    }
    return { problems, notifications: await applyTransitions(tx, problems, new Set(unknown), now, config.env) };
  });

  const deliveries: AlertDelivery[] = [];
  if (transitions.notifications.length > 0) {
    // A sender made here is this evaluation's to close; one passed in belongs to the caller (the loop).
    const own = deps.sender ? undefined : alertSender(config, logger);
    const sender = deps.sender ?? (own as AlertSender);
    try {
      for (const notification of transitions.notifications) {
        logger[notification.state === 'firing' ? 'warn' : 'info'](
          { key: notification.key, severity: notification.severity, summary: notification.summary },
          notification.state === 'firing' ? 'alert firing' : 'alert resolved',
        );
        deliveries.push(await sender.send(notification));
      }
    } finally {
      own?.close();
    }
  }

  let heartbeats = 0;
  try {
    for (const success of await lastSuccesses(db, config)) {
      if (await writeHeartbeat(config.alerts.heartbeatDir, success)) heartbeats += 1;
    }
  } catch (error) {
    logger.warn({ err: error, dir: config.alerts.heartbeatDir }, 'alerts: could not write the heartbeat files');
  }

  return { open: transitions.problems, notified: transitions.notifications, deliveries, unknown, heartbeats };
}

type AlertRow = typeof ops.alerts.$inferSelect;

async function applyTransitions(
  tx: Db,
  problems: Problem[],
  unknown: ReadonlySet<AlertKind>,
  now: Date,
  env: string,
): Promise<AlertNotification[]> {
  const openRows = await tx.select().from(ops.alerts).where(isNull(ops.alerts.resolvedAt));
  const openByKey = new Map(openRows.map((row) => [row.key, row]));
  const current = new Map(problems.map((problem) => [problem.key, problem]));
  const fired: AlertNotification[] = [];
  const resolved: AlertNotification[] = [];

  for (const problem of current.values()) {
    const existing = openByKey.get(problem.key);
    if (!existing) {
      const [opened] = await tx
        .insert(ops.alerts)
        .values({ ...problem, openedAt: now, lastNotifiedAt: now })
        .onConflictDoNothing({ target: ops.alerts.key, where: sql`${ops.alerts.resolvedAt} IS NULL` })
        .returning();
      if (opened) fired.push(notification('firing', opened, env));
      continue;
    }
    if (SEVERITY_RANK[problem.severity] > SEVERITY_RANK[existing.severity]) {
      const [escalated] = await tx
        .update(ops.alerts)
        .set({ severity: problem.severity, summary: problem.summary, details: problem.details, lastNotifiedAt: now })
        .where(
          and(
            eq(ops.alerts.id, existing.id),
            isNull(ops.alerts.resolvedAt),
            eq(ops.alerts.severity, existing.severity),
          ),
        )
        .returning();
      if (escalated) fired.push({ ...notification('firing', escalated, env), escalated: true });
      continue;
    }
    if (
      problem.severity !== existing.severity ||
      problem.summary !== existing.summary ||
      canonicalJson(problem.details) !== canonicalJson(existing.details)
    ) {
      // Still the same open problem, described afresh (a later failed run, a longer outage): no notification.
      await tx
        .update(ops.alerts)
        .set({ severity: problem.severity, summary: problem.summary, details: problem.details })
        .where(and(eq(ops.alerts.id, existing.id), isNull(ops.alerts.resolvedAt)));
    }
  }

  for (const row of openRows) {
    if (current.has(row.key) || unknown.has(row.kind as AlertKind)) continue;
    const [closed] = await tx
      .update(ops.alerts)
      .set({ resolvedAt: now })
      .where(and(eq(ops.alerts.id, row.id), isNull(ops.alerts.resolvedAt)))
      .returning();
    if (closed) resolved.push(notification('resolved', closed, env));
  }
  return [...fired, ...resolved];
}

/** JSON with sorted keys and without undefined, as jsonb stores it: equal details, equal text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'object' && item !== null && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

function notification(state: 'firing' | 'resolved', row: AlertRow, env: string): AlertNotification {
  return {
    state,
    key: row.key,
    kind: row.kind,
    severity: row.severity,
    summary: row.summary,
    details: (row.details ?? {}) as Record<string, unknown>,
    openedAt: row.openedAt,
    ...(row.resolvedAt ? { resolvedAt: row.resolvedAt } : {}),
    env,
  };
}
