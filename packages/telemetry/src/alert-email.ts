import type { EmailAlertSettings } from '@matchflow/config';
import { createTransport, type Transporter } from 'nodemailer';
import { type AlertNotification, type AttemptOutcome, formatDuration } from './alert-notification.js';

/** An alert email: subject and plain-text body. */
export interface AlertEmail {
  subject: string;
  text: string;
}

/**
 * Render a notification as an email. The subject says the environment, the transition and the
 * severity (`[matchflow prod] FIRING critical: Run failed: demo-league.50001 at build`); the body
 * repeats it with the key, the times and the details as `name: value` lines.
 *
 * @param subjectPrefix starts the subject (default `[matchflow <env>]`).
 */
export function alertEmail(notification: AlertNotification, subjectPrefix?: string): AlertEmail {
  const { state, severity, summary, env } = notification;
  const prefix = subjectPrefix ?? `[matchflow ${env}]`;
  const headline =
    state === 'resolved'
      ? `RESOLVED: ${summary}`
      : `${notification.escalated ? 'ESCALATED' : 'FIRING'} ${severity}: ${summary}`;
  const lines = [
    headline,
    '',
    `key: ${notification.key}`,
    `kind: ${notification.kind}`,
    `severity: ${severity}`,
    `environment: ${env}`,
    `opened: ${notification.openedAt.toISOString()}`,
  ];
  if (notification.resolvedAt) {
    const openMs = notification.resolvedAt.getTime() - notification.openedAt.getTime();
    lines.push(`resolved: ${notification.resolvedAt.toISOString()} (open ${formatDuration(openMs)})`);
  }
  const details = Object.entries(notification.details).filter(([, value]) => value !== undefined && value !== null);
  if (details.length > 0) {
    lines.push('', 'details:');
    for (const [name, value] of details) lines.push(`  ${name}: ${detailValue(value)}`);
  }
  lines.push(
    '',
    '-- ',
    'matchflow alerts: sent once when a problem appears and once when it clears (docs/alerts.md).',
    'Every notification is also in the alerts log of the host that sent it.',
  );
  // Header values must stay on one line whatever a summary holds.
  return { subject: `${prefix} ${headline}`.replace(/[\r\n]+/g, ' '), text: `${lines.join('\n')}\n` };
}

function detailValue(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\r?\n/g, ' ');
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

/**
 * The email channel: one nodemailer SMTP transport, one message per notification to every
 * address of `to`.
 *
 * The transport is not pooled: alerts come a few at a time, minutes or days apart, and an idle
 * pooled connection would be dropped by the server in between anyway. A connection per message
 * costs one handshake per alert, leaves nothing open between evaluations, and means a sender
 * that is never closed (a one-off `alerts check`) leaks nothing. `close()` is still called when
 * the alert loop stops.
 */
export class EmailChannel {
  private readonly settings: EmailAlertSettings;
  private readonly transport: Transporter;

  /** @param timeoutMs per attempt: connecting, the greeting, and each wait for the server. */
  constructor(settings: EmailAlertSettings, timeoutMs: number) {
    this.settings = settings;
    const { smtp } = settings;
    this.transport = createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      ...(smtp.auth ? { auth: { user: smtp.auth.user, pass: smtp.auth.pass } } : {}),
      tls: { rejectUnauthorized: smtp.tlsRejectUnauthorized },
      pool: false,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
  }

  /** One attempt to hand the message to the SMTP server. Never throws. */
  async sendOnce(notification: AlertNotification): Promise<AttemptOutcome> {
    const { subject, text } = alertEmail(notification, this.settings.subjectPrefix);
    try {
      await this.transport.sendMail({
        from: this.settings.from,
        to: this.settings.to,
        subject,
        text,
        headers: { 'X-Matchflow-Alert-Key': notification.key },
      });
      return { ok: true, retryable: false };
    } catch (error) {
      const { code, responseCode } = error as { code?: unknown; responseCode?: unknown };
      const reason = [code, responseCode].filter((part) => part !== undefined).join(' ') || 'error';
      // A 5xx reply is permanent (bad credentials, recipients refused): asking again will not help.
      // A connection error, a timeout or a 4xx (try later) may pass next time.
      const permanent = typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600;
      return { ok: false, retryable: !permanent, reason, error };
    }
  }

  close(): void {
    this.transport.close();
  }
}
