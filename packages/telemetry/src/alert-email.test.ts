import { describe, expect, it } from 'vitest';
import { alertEmail } from './alert-email.js';
import type { AlertNotification } from './alert-notification.js';

const FIRING: AlertNotification = {
  state: 'firing',
  key: 'run-failed:demo-league.50001',
  kind: 'run-failed',
  severity: 'critical',
  summary: 'Run failed: demo-league.50001 at build',
  details: { runId: 'run-1', failedStage: 'build', error: 'line one\nline two', skipped: null },
  openedAt: new Date('2024-05-01T10:00:00.000Z'),
  env: 'prod',
};

describe('alertEmail', () => {
  it('says the environment, the transition and the severity in the subject, and the rest in the body', () => {
    const email = alertEmail(FIRING);
    expect(email.subject).toBe('[matchflow prod] FIRING critical: Run failed: demo-league.50001 at build');
    expect(email.text).toContain('key: run-failed:demo-league.50001\nkind: run-failed\nseverity: critical\n');
    expect(email.text).toContain('opened: 2024-05-01T10:00:00.000Z\n');
    expect(email.text).toContain('details:\n  runId: run-1\n  failedStage: build\n  error: line one line two\n');
    expect(email.text).not.toContain('skipped');
    expect(email.text).not.toContain('resolved:');
  });

  it('escalations and resolutions, with a custom prefix and a summary that cannot break the header', () => {
    expect(alertEmail({ ...FIRING, escalated: true }, '[eu-prod]').subject).toBe(
      '[eu-prod] ESCALATED critical: Run failed: demo-league.50001 at build',
    );
    const resolved = alertEmail({
      ...FIRING,
      state: 'resolved',
      summary: 'two\r\nlines',
      resolvedAt: new Date('2024-05-01T12:03:00.000Z'),
    });
    expect(resolved.subject).toBe('[matchflow prod] RESOLVED: two lines');
    expect(resolved.text).toContain('resolved: 2024-05-01T12:03:00.000Z (open 2h 3m)\n');
  });
});
