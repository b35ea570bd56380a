import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '@matchflow/config';
import { type Db, ops } from '@matchflow/db';
import type { SlackPayload } from '@matchflow/telemetry';

/** A local Slack-compatible webhook: records every body, answers with the next of `statuses` (the last repeats). */
export interface WebhookReceiver {
  url: string;
  bodies: SlackPayload[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(statuses: number[] = [200]): Promise<WebhookReceiver> {
  const bodies: SlackPayload[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    req.on('end', () => {
      bodies.push(JSON.parse(text) as SlackPayload);
      res.statusCode = statuses[Math.min(bodies.length - 1, statuses.length - 1)] ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/XXXX`,
    bodies,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A run row crafted for an alert scenario (scope `sofascore` / `demo-league` 1001 / 50001 unless said). */
export interface CraftedRun {
  runId: string;
  competition?: string;
  season?: string;
  status: 'running' | 'ok' | 'partial' | 'failed';
  failedStage?: string;
  trigger?: string;
  startedAt?: Date;
  finishedAt?: Date;
  counters?: Record<string, unknown>;
  error?: string;
}

export async function insertRun(db: Db, run: CraftedRun): Promise<void> {
  const startedAt = run.startedAt ?? new Date((run.finishedAt ?? new Date()).getTime() - 60_000);
  await db.insert(ops.pipelineRuns).values({
    runId: run.runId,
    trigger: run.trigger ?? 'schedule',
    scope: {
      source: 'sofascore',
      competitionId: run.competition ?? 'demo-league',
      competition: '1001',
      season: run.season ?? '50001',
    },
    env: 'staging',
    status: run.status,
    failedStage: run.failedStage ?? null,
    startedAt,
    finishedAt: run.finishedAt ?? null,
    counters: run.counters ?? {},
    error: run.error ?? null,
  });
}

/** The alerts log of `config`, one parsed object per line (empty when the file is not there yet). */
export async function alertLogLines(config: Config): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(config.alerts.log, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export const ago = (ms: number): Date => new Date(Date.now() - ms);
