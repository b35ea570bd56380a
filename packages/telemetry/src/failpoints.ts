/**
 * Failpoints: named places in the pipeline where a chaos test can make a process die on cue
 * (the technique of etcd's gofail and TiDB's failpoint). A `kill -9` sent from outside lands
 * wherever the process happens to be; a failpoint lands exactly between two steps whose
 * crash-safety we want to prove, such as "snapshot files renamed into place, database row not yet
 * committed".
 *
 * Armed only by `MATCHFLOW_FAILPOINTS` in a process's environment (read by the app mains):
 * `name=action[@hit]`, several separated by `;`. Actions: `crash` (SIGKILL to itself: no
 * handlers, no flushing, exactly what `kill -9` does). `@hit` fires on that hit of the point
 * (1-based, default 1). Unarmed, `failpoint()` is one Map lookup.
 */

export type FailpointAction = 'crash';

interface ArmedFailpoint {
  action: FailpointAction;
  hit: number;
  seen: number;
}

/** The failpoints the pipeline defines; `armFailpoints` refuses any other name. */
export const FAILPOINTS = [
  /** Inside an ingest's core transaction, after the raw payloads were stored, before commit. */
  'ingest.before-commit',
  /** Inside a ratings batch's transaction, just before it commits. */
  'ratings.batch-before-commit',
  /** Snapshot directory renamed into place; its ops.snapshots row not yet committed. */
  'publish.files-written',
  /** ops.snapshots row committed as latest; the `latest` file not yet replaced. */
  'publish.row-committed',
] as const;
export type FailpointName = (typeof FAILPOINTS)[number];

const armed = new Map<string, ArmedFailpoint>();

export class FailpointSpecError extends Error {}

/** Parse a `MATCHFLOW_FAILPOINTS` value and arm it; returns the armed names. */
export function armFailpoints(spec: string): string[] {
  const entries = spec
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  const parsed = entries.map((entry) => {
    const match = /^([a-z.-]+)=(crash)(?:@(\d+))?$/.exec(entry);
    if (!match) throw new FailpointSpecError(`failpoint '${entry}': expected name=crash[@hit]`);
    const [, name = '', action = 'crash', hit = '1'] = match;
    if (!(FAILPOINTS as readonly string[]).includes(name)) {
      throw new FailpointSpecError(`failpoint '${name}' is unknown (known: ${FAILPOINTS.join(', ')})`);
    }
    if (Number(hit) < 1) throw new FailpointSpecError(`failpoint '${entry}': the hit counts from 1`);
    return { name, armed: { action: action as FailpointAction, hit: Number(hit), seen: 0 } };
  });
  for (const { name, armed: point } of parsed) armed.set(name, point);
  return parsed.map(({ name }) => name);
}

/** Disarm every failpoint (tests that arm them in-process). */
export function disarmFailpoints(): void {
  armed.clear();
}

/** Mark a failpoint: when armed and its hit comes up, the action happens here. */
export function failpoint(name: FailpointName): void {
  const point = armed.get(name);
  if (!point) return;
  point.seen += 1;
  if (point.seen !== point.hit) return;
  if (point.action === 'crash') {
    process.stderr.write(`failpoint ${name}: crashing (SIGKILL)\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
