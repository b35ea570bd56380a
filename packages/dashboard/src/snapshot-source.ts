import { loadSnapshot, readLatestVersion } from '@matchflow/pipeline';
import type { Logger } from '@matchflow/telemetry';
import { SnapshotView } from './snapshot-view.js';

/** `latest` names a snapshot that cannot be read, and no earlier one is loaded to fall back on. */
export class SnapshotUnavailable extends Error {
  override readonly name = 'SnapshotUnavailable';
}

export interface SnapshotSourceOptions {
  publishDir: string;
  logger: Logger;
  /** After a snapshot fails to load, wait this long before trying it again (default 30_000). */
  retryAfterMs?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

/**
 * The snapshot `latest` names, kept in memory. Each call reads the pointer file (a few bytes,
 * the page cache's) and loads a snapshot only when the pointer names another version, so a
 * publish or a rollback shows on the next request, and concurrent requests share one load.
 *
 * A snapshot that fails to load is logged and retried at most every `retryAfterMs`; meanwhile
 * the previously loaded snapshot, if any, keeps being served.
 */
export class SnapshotSource {
  private readonly publishDir: string;
  private readonly logger: Logger;
  private readonly retryAfterMs: number;
  private readonly now: () => number;
  private current: SnapshotView | undefined;
  /** The version the pointer named when last read: only a load of it replaces `current`. */
  private lastSeen: string | undefined;
  private readonly loading = new Map<string, Promise<SnapshotView>>();
  private failed: { version: string; atMs: number; error: unknown } | undefined;

  constructor(options: SnapshotSourceOptions) {
    this.publishDir = options.publishDir;
    this.logger = options.logger;
    this.retryAfterMs = options.retryAfterMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** The latest snapshot; undefined when nothing has been published. Throws SnapshotUnavailable. */
  async latest(): Promise<SnapshotView | undefined> {
    let version: string | undefined;
    try {
      version = await readLatestVersion(this.publishDir);
    } catch (error) {
      return this.fallBack(undefined, error);
    }
    this.lastSeen = version;
    if (version === undefined) {
      // Nothing published (or the pointer was removed): serve nothing rather than a stale snapshot.
      this.current = undefined;
      return undefined;
    }
    if (this.current?.version === version) return this.current;
    if (this.failed?.version === version && this.now() - this.failed.atMs < this.retryAfterMs) {
      return this.fallBack(version, this.failed.error);
    }
    try {
      return await this.load(version);
    } catch (error) {
      return this.fallBack(version, error);
    }
  }

  private load(version: string): Promise<SnapshotView> {
    const pending = this.loading.get(version);
    if (pending) return pending;
    const startedMs = this.now();
    const promise = loadSnapshot(this.publishDir, version)
      .then((snapshot) => {
        const view = new SnapshotView(snapshot);
        // A slower load of an older pointer value must not replace a newer snapshot.
        if (this.lastSeen === version) this.current = view;
        if (this.failed?.version === version) this.failed = undefined;
        this.logger.info(
          { version, contentHash: view.manifest.content_hash, durationMs: this.now() - startedMs },
          'snapshot loaded',
        );
        return view;
      })
      .catch((error: unknown) => {
        this.failed = { version, atMs: this.now(), error };
        this.logger.error({ err: error, version }, 'snapshot failed to load');
        throw error;
      })
      .finally(() => this.loading.delete(version));
    this.loading.set(version, promise);
    return promise;
  }

  private fallBack(version: string | undefined, error: unknown): SnapshotView {
    if (this.current) return this.current;
    const what = version ? `snapshot ${version}` : 'the latest pointer';
    throw new SnapshotUnavailable(`${what} cannot be read: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
