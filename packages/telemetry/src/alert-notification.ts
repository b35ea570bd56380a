/** How bad an open problem is: `critical` wants someone now, `warning` during the day. */
export type AlertSeverity = 'warning' | 'critical';

/**
 * One change of an alert's state, the only thing ever notified (docs/alerts.md): a problem
 * appeared (`firing`; `escalated` when an open one got worse) or went away (`resolved`).
 */
export interface AlertNotification {
  state: 'firing' | 'resolved';
  /** A firing notification for a problem already open whose severity rose (warning -> critical). */
  escalated?: boolean;
  /** Stable name of the problem: `run-failed:demo-league.50001`. */
  key: string;
  /** The key's first segment: `run-failed`, `quality-fail`, `breaker-open`, `blocked`, `stale`, `stuck-run`. */
  kind: string;
  severity: AlertSeverity;
  /** One line a person understands without the details. */
  summary: string;
  /** What to start an investigation from (run id, failed stage, checks, ...); flat values read best. */
  details: Record<string, unknown>;
  openedAt: Date;
  /** Set on `resolved`. */
  resolvedAt?: Date;
  /** `dev`, `staging`, `prod`: said in every message so a shared channel can tell them apart. */
  env: string;
}

/** The outcome of one delivery attempt on a channel. */
export interface AttemptOutcome {
  ok: boolean;
  /** Worth asking again (a connection error, a timeout, a temporary refusal). */
  retryable: boolean;
  /** Short and free of secrets, for the alerts log: `HTTP 503`, `ECONNECTION`, `EAUTH 535`. */
  reason?: string;
  error?: unknown;
}

/** `95_000` -> `1m 35s`, `7_380_000` -> `2h 3m`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3_600);
  const minutes = Math.floor((seconds % 3_600) / 60);
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m ${seconds % 60}s`;
  return `${seconds}s`;
}
