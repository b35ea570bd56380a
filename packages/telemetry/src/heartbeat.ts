import { mkdir, readFile, rename, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What a heartbeat file holds: the last run of a scope that ended `ok`. */
export interface Heartbeat {
  /** `demo-league.50001` (competition-season). */
  scope: string;
  runId: string;
  /** When that run finished; also the file's modification time. */
  finishedAt: Date;
}

/** The heartbeat file of a scope: `<dir>/<scope>.json`. */
export function heartbeatPath(dir: string, scope: string): string {
  // Scope keys are `competition.season` of config ids and upstream ids; keep them one path segment.
  return path.join(dir, `${scope.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

/**
 * Write (or refresh) the last-success heartbeat of a scope: `<dir>/<scope>.json` with the run id
 * and finish time, its mtime set to that finish time, so `find DIR -mmin +1560` or a file-age
 * monitor sees a scope that stopped succeeding. Written to a temporary file and renamed, so a
 * reader never sees half a file. Does nothing when the file already names this run.
 *
 * @returns whether the file was (re)written.
 */
export async function writeHeartbeat(dir: string, heartbeat: Heartbeat): Promise<boolean> {
  const file = heartbeatPath(dir, heartbeat.scope);
  const current = await readHeartbeat(dir, heartbeat.scope);
  if (current?.runId === heartbeat.runId) return false;
  await mkdir(dir, { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  const content = {
    scope: heartbeat.scope,
    runId: heartbeat.runId,
    finishedAt: heartbeat.finishedAt.toISOString(),
    writtenAt: new Date().toISOString(),
  };
  await writeFile(temporary, `${JSON.stringify(content, null, 2)}\n`, 'utf8');
  await utimes(temporary, heartbeat.finishedAt, heartbeat.finishedAt);
  await rename(temporary, file);
  return true;
}

/** The heartbeat of a scope, or undefined when there is none (or it is unreadable). */
export async function readHeartbeat(dir: string, scope: string): Promise<Heartbeat | undefined> {
  try {
    const parsed = JSON.parse(await readFile(heartbeatPath(dir, scope), 'utf8')) as Record<string, unknown>;
    if (typeof parsed.runId !== 'string' || typeof parsed.finishedAt !== 'string') return undefined;
    return { scope, runId: parsed.runId, finishedAt: new Date(parsed.finishedAt) };
  } catch {
    return undefined;
  }
}
