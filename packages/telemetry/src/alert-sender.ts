import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EmailAlertSettings } from '@matchflow/config';
import { request } from 'undici';
import { EmailChannel } from './alert-email.js';
import { type AlertNotification, type AttemptOutcome, formatDuration } from './alert-notification.js';
import type { Logger } from './logger.js';

export type { AlertNotification, AlertSeverity } from './alert-notification.js';
export { formatDuration } from './alert-notification.js';

export interface AlertSenderOptions {
  /** Slack-compatible incoming webhook; without one, notifications only go to the log file (and email). */
  webhookUrl?: string | undefined;
  /** SMTP and addresses for email alerts (`alerts.email`); without them, no email. */
  email?: EmailAlertSettings | undefined;
  /** The alerts log: one JSON line per notification, always written (directories created). */
  logFile: string;
  /** Deliveries per notification and channel, the first included. */
  attempts: number;
  /** Wait before the second attempt; doubled for each later one, with jitter (x0.5 to x1.5). */
  backoffMs: number;
  /** Per attempt: connect, headers and body together (SMTP: connecting, the greeting, each reply). */
  timeoutMs: number;
  logger: Logger;
  /** For tests: the jitter source (default Math.random). */
  random?: () => number;
}

/** A channel a notification goes out on, beside the alerts log. */
export type AlertChannel = 'webhook' | 'email';

/** What became of one notification on one configured channel. */
export interface ChannelDelivery {
  result: 'sent' | 'failed';
  /** Attempts made on this channel. */
  attempts: number;
}

/** What became of one notification. */
export interface AlertDelivery {
  /** The line is in the alerts log. */
  logged: boolean;
  /** `none`: no webhook configured. */
  webhook: 'sent' | 'failed' | 'none';
  /** Webhook attempts made. */
  attempts: number;
  /** Present when email is configured (`alerts.email`). */
  email?: ChannelDelivery;
}

/** Longest wait between two attempts, whatever the backoff doubled to. */
const MAX_BACKOFF_MS = 30_000;
/** Slack shows at most this many fields nicely; the rest is in the log line. */
const MAX_FIELDS = 10;
const MAX_FIELD_CHARS = 300;

const COLORS = { critical: '#d00000', warning: '#f2c744', resolved: '#2eb886' } as const;

/**
 * Delivers alert notifications: always a JSON line in the alerts log first, then, on each
 * configured channel (a Slack-compatible webhook, email over SMTP) at the same time, a delivery
 * retried with exponential backoff and jitter. A channel that fails does not hold up the other;
 * one that gives up adds a `"delivery":"failed"` line to the alerts log. Never throws: an alert
 * that cannot be delivered must not take the process that noticed the problem down with it.
 * `close()` releases the email transport.
 */
export class AlertSender {
  private readonly options: AlertSenderOptions;
  private readonly random: () => number;
  private readonly email: EmailChannel | undefined;

  constructor(options: AlertSenderOptions) {
    this.options = options;
    this.random = options.random ?? Math.random;
    this.email = options.email ? new EmailChannel(options.email, options.timeoutMs) : undefined;
  }

  async send(notification: AlertNotification): Promise<AlertDelivery> {
    const logged = await this.appendToLog(notification.key, alertLogLine(notification));
    const { webhookUrl } = this.options;
    const email = this.email;
    const body = JSON.stringify(slackPayload(notification));
    const [webhook, mailed] = await Promise.all([
      webhookUrl ? this.deliver('webhook', notification, () => this.post(webhookUrl, body)) : undefined,
      email ? this.deliver('email', notification, () => email.sendOnce(notification)) : undefined,
    ]);
    return {
      logged,
      webhook: webhook?.result ?? 'none',
      attempts: webhook?.attempts ?? 0,
      ...(mailed ? { email: mailed } : {}),
    };
  }

  /** Release the email transport (nothing stays open between sends; see `EmailChannel`). */
  close(): void {
    this.email?.close();
  }

  /** Up to `attempts` tries with backoff; a failure for good goes to the alerts log as well. */
  private async deliver(
    channel: AlertChannel,
    notification: AlertNotification,
    attemptOnce: () => Promise<AttemptOutcome>,
  ): Promise<ChannelDelivery> {
    const attempts = Math.max(1, this.options.attempts);
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      const outcome = await attemptOnce();
      if (outcome.ok) return { result: 'sent', attempts: attempt };
      const last = attempt === attempts || !outcome.retryable;
      // The webhook URL and the SMTP password are credentials: neither is in what is logged.
      this.options.logger.warn(
        { key: notification.key, state: notification.state, attempt, reason: outcome.reason, err: outcome.error },
        last
          ? `alert ${channel} failed: giving up (the alert is in the alerts log)`
          : `alert ${channel} failed: retrying`,
      );
      if (last) {
        await this.appendToLog(notification.key, {
          time: new Date().toISOString(),
          delivery: 'failed',
          channel,
          key: notification.key,
          notification: notification.escalated ? 'escalated' : notification.state,
          attempts: attempt,
          reason: outcome.reason ?? 'error',
        });
        return { result: 'failed', attempts: attempt };
      }
      await sleep(this.backoff(attempt));
    }
    return { result: 'failed', attempts };
  }

  private backoff(attempt: number): number {
    const base = Math.min(MAX_BACKOFF_MS, this.options.backoffMs * 2 ** (attempt - 1));
    return Math.round(base * (0.5 + this.random()));
  }

  private async appendToLog(key: string, line: Record<string, unknown>): Promise<boolean> {
    try {
      await mkdir(path.dirname(this.options.logFile), { recursive: true });
      await appendFile(this.options.logFile, `${JSON.stringify(line)}\n`, 'utf8');
      return true;
    } catch (error) {
      this.options.logger.error({ err: error, key, file: this.options.logFile }, 'could not append to the alerts log');
      return false;
    }
  }

  private async post(url: string, body: string): Promise<AttemptOutcome> {
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
      if (status >= 200 && status < 300) return { ok: true, retryable: false };
      // A 4xx other than 429 means the hook or the payload is wrong: asking again will not help.
      return { ok: false, retryable: status === 429 || status >= 500, reason: `HTTP ${status}` };
    } catch (error) {
      // The code only (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT): an error's message may quote the URL.
      const code = (error as { code?: unknown }).code;
      return { ok: false, retryable: true, reason: typeof code === 'string' ? code : 'error', error };
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
