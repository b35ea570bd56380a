import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { Logger } from './logger.js';

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

export interface AlertSenderOptions {
  /** Slack-compatible incoming webhook; without one, notifications only go to the log file. */
  webhookUrl?: string | undefined;
  /** The alerts log: one JSON line per notification, always written (directories created). */
  logFile: string;
  /** Deliveries per notification, the first included. */
  attempts: number;
  /** Wait before the second attempt; doubled for each later one, with jitter (x0.5 to x1.5). */
  backoffMs: number;
  /** Per attempt: connect, headers and body together. */
  timeoutMs: number;
  logger: Logger;
  /** For tests: the jitter source (default Math.random). */
  random?: () => number;
}

/** What became of one notification. */
export interface AlertDelivery {
  /** The line is in the alerts log. */
  logged: boolean;
  /** `none`: no webhook configured. */
  webhook: 'sent' | 'failed' | 'none';
  /** Webhook attempts made. */
  attempts: number;
}

/** Longest wait between two attempts, whatever the backoff doubled to. */
const MAX_BACKOFF_MS = 30_000;
/** Slack shows at most this many fields nicely; the rest is in the log line. */
const MAX_FIELDS = 10;
const MAX_FIELD_CHARS = 300;

const COLORS = { critical: '#d00000', warning: '#f2c744', resolved: '#2eb886' } as const;

/**
 * Delivers alert notifications: always a JSON line in the alerts log first, then, when a webhook
 * is configured, a Slack-compatible POST retried with exponential backoff and jitter. Never
 * throws: an alert that cannot be delivered is logged (and stays in the alerts log), it must not
 * take the process that noticed the problem down with it.
 */
export class AlertSender {
  private readonly options: AlertSenderOptions;
  private readonly random: () => number;

  constructor(options: AlertSenderOptions) {
    this.options = options;
    this.random = options.random ?? Math.random;
  }

  async send(notification: AlertNotification): Promise<AlertDelivery> {
    const logged = await this.appendToLog(notification);
    const { webhookUrl } = this.options;
    if (!webhookUrl) return { logged, webhook: 'none', attempts: 0 };
    const body = JSON.stringify(slackPayload(notification));
    const attempts = Math.max(1, this.options.attempts);
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      const outcome = await this.post(webhookUrl, body);
      if (outcome.ok) return { logged, webhook: 'sent', attempts: attempt };
      const last = attempt === attempts || !outcome.retryable;
      // The webhook URL is a credential (Slack's holds the token): never log it.
      this.options.logger.warn(
        { key: notification.key, state: notification.state, attempt, status: outcome.status, err: outcome.error },
        last ? 'alert webhook failed: giving up (the alert is in the alerts log)' : 'alert webhook failed: retrying',
      );
      if (last) return { logged, webhook: 'failed', attempts: attempt };
      await sleep(this.backoff(attempt));
    }
    return { logged, webhook: 'failed', attempts };
  }

  private backoff(attempt: number): number {
    const base = Math.min(MAX_BACKOFF_MS, this.options.backoffMs * 2 ** (attempt - 1));
    return Math.round(base * (0.5 + this.random()));
  }

  private async appendToLog(notification: AlertNotification): Promise<boolean> {
    try {
      await mkdir(path.dirname(this.options.logFile), { recursive: true });
      await appendFile(this.options.logFile, `${JSON.stringify(alertLogLine(notification))}\n`, 'utf8');
      return true;
    } catch (error) {
      this.options.logger.error(
        { err: error, key: notification.key, file: this.options.logFile },
        'could not append to the alerts log',
      );
      return false;
    }
  }

  private async post(
    url: string,
    body: string,
  ): Promise<{ ok: boolean; retryable: boolean; status?: number; error?: unknown }> {
    const { timeoutMs } = this.options;
    try {
      const response = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body.dump();
      const status = response.statusCode;
      if (status >= 200 && status < 300) return { ok: true, retryable: false, status };
      // A 4xx other than 429 means the hook or the payload is wrong: asking again will not help.
      return { ok: false, retryable: status === 429 || status >= 500, status };
    } catch (error) {
      return { ok: false, retryable: true, error };
    }
  }
}

/** The alerts-log line of a notification: one JSON object, times in ISO 8601. */
export function alertLogLine(notification: AlertNotification): Record<string, unknown> {
  return {
    time: new Date().toISOString(),
    state: notification.state,
    ...(notification.escalated ? { escalated: true } : {}),
    key: notification.key,
    kind: notification.kind,
    severity: notification.severity,
    env: notification.env,
    summary: notification.summary,
    openedAt: notification.openedAt.toISOString(),
    ...(notification.resolvedAt ? { resolvedAt: notification.resolvedAt.toISOString() } : {}),
    details: notification.details,
  };
}

/** A Slack attachment field. */
interface SlackField {
  title: string;
  value: string;
  short: boolean;
}

/** The Slack-compatible body (`text` plus one legacy attachment, which Mattermost and Teams' Slack mode read too). */
export interface SlackPayload {
  text: string;
  attachments: Array<{
    color: string;
    title: string;
    text: string;
    fields: SlackField[];
    footer: string;
    ts: number;
  }>;
}

/** Render a notification for a Slack-compatible incoming webhook. */
export function slackPayload(notification: AlertNotification): SlackPayload {
  const { state, severity, env, summary } = notification;
  const resolved = state === 'resolved';
  const headline = resolved
    ? `[${env}] RESOLVED: ${summary}`
    : `[${env}] ${notification.escalated ? 'ESCALATED' : 'FIRING'} (${severity}): ${summary}`;
  const at = notification.resolvedAt ?? new Date();
  const text = resolved
    ? `Cleared after ${formatDuration(at.getTime() - notification.openedAt.getTime())}.`
    : `Open since ${notification.openedAt.toISOString()}.`;
  const fields: SlackField[] = [
    { title: 'key', value: notification.key, short: true },
    { title: 'severity', value: severity, short: true },
    ...Object.entries(notification.details)
      .filter(([, value]) => value !== undefined && value !== null)
      .slice(0, MAX_FIELDS)
      .map(([title, value]) => ({ title, value: fieldValue(value), short: isShort(value) })),
  ];
  return {
    text: headline,
    attachments: [
      {
        color: resolved ? COLORS.resolved : COLORS[severity],
        title: summary,
        text,
        fields,
        footer: 'matchflow alerts',
        ts: Math.floor(at.getTime() / 1000),
      },
    ],
  };
}

function fieldValue(value: unknown): string {
  const text = typeof value === 'string' ? value : value instanceof Date ? value.toISOString() : JSON.stringify(value);
  return text.length > MAX_FIELD_CHARS ? `${text.slice(0, MAX_FIELD_CHARS - 1)}…` : text;
}

function isShort(value: unknown): boolean {
  return fieldValue(value).length <= 40;
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
