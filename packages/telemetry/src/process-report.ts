import { hostname } from 'node:os';

/*
 * Each long-running process (worker, scheduler, dashboard, `npm start`) reports its own memory
 * and CPU use to Redis every few seconds: a hash per process that expires when the reports stop,
 * so a process that died drops out by itself. The `sample-ops` maintenance task reads them
 * (SCAN, never KEYS) into `ops.samples` for the ops page's charts.
 */

/** How often a process reports (ms). */
export const PROCESS_REPORT_INTERVAL_MS = 15_000;
/** A report lives this many intervals: a process missing three reports in a row is gone. */
export const PROCESS_REPORT_TTL_INTERVALS = 3;

/** `<role>@<host>:<pid>`: the process, as the samples name it. */
export function processId(role: string, host = hostname(), pid = process.pid): string {
  return `${role}@${host}:${pid}`;
}

/** The Redis hash a process reports to: `<prefix>:procs:<role>@<host>:<pid>`. */
export function processReportKey(prefix: string, id: string): string {
  return `${prefix}:procs:${id}`;
}

/** What a process report holds (the hash's fields, as Redis returns them: strings). */
export interface ProcessReport {
  role: string;
  host: string;
  pid: number;
  /** Resident set size (bytes). */
  rssBytes: number;
  /**
   * CPU time (user + system) over wall time since the previous report, in percent of one core
   * (a process using two cores fully shows 200). The first report covers the process's life.
   */
  cpuPercent: number;
  /** When it was written (ms since the epoch). */
  reportedAt: number;
  /** When the process started (ms since the epoch). */
  startedAt: number;
}

/** Read a report hash (`HGETALL`); undefined when it is not one. */
export function parseProcessReport(fields: Record<string, string>): ProcessReport | undefined {
  const rssBytes = Number(fields.rssBytes);
  const cpuPercent = Number(fields.cpuPercent);
  if (fields.rssBytes === undefined || fields.cpuPercent === undefined) return undefined;
  if (!Number.isFinite(rssBytes) || !Number.isFinite(cpuPercent)) return undefined;
  return {
    role: fields.role ?? '',
    host: fields.host ?? '',
    pid: Number(fields.pid ?? 0),
    rssBytes,
    cpuPercent,
    reportedAt: Number(fields.reportedAt ?? 0),
    startedAt: Number(fields.startedAt ?? 0),
  };
}

/**
 * The Redis commands the reporter uses (an ioredis `Redis` fits), so telemetry does not depend
 * on a Redis client.
 */
export interface ProcessReportStore {
  multi(): {
    hset(key: string, values: Record<string, string | number>): unknown;
    pexpire(key: string, ms: number): unknown;
    exec(): Promise<unknown>;
  };
  del(key: string): Promise<unknown>;
}

export interface ProcessReporterOptions {
  redis: ProcessReportStore;
  /** Key namespace shared by the fleet (`redis.prefix`). */
  prefix: string;
  /** `worker`, `scheduler`, `dashboard`, `start`. */
  role: string;
  /** Default `PROCESS_REPORT_INTERVAL_MS`. */
  intervalMs?: number;
}

export interface ProcessReporter {
  /** `<role>@<host>:<pid>`. */
  readonly id: string;
  /** The hash it writes. */
  readonly key: string;
  /** Write one report now (the timer does this every interval); never rejects. */
  report(): Promise<void>;
  /** Stop reporting and remove the report, so the process leaves the samples at once; never rejects. */
  stop(): Promise<void>;
}

/**
 * Report this process's RSS and CPU to Redis now and every `intervalMs` (the hash expires after
 * `PROCESS_REPORT_TTL_INTERVALS` intervals without a report). Fire and forget: a report that
 * fails (Redis away) is dropped, never an error of the process; the timer is unref'd, so it
 * never keeps a process alive. Call `stop()` on shutdown, before closing the connection.
 */
export function startProcessReporter(options: ProcessReporterOptions): ProcessReporter {
  const intervalMs = options.intervalMs ?? PROCESS_REPORT_INTERVAL_MS;
  const id = processId(options.role);
  const key = processReportKey(options.prefix, id);
  const startedAt = Date.now() - Math.round(process.uptime() * 1000);
  // The first report covers the process's life so far; each later one the time since the last.
  let lastCpu: NodeJS.CpuUsage | undefined;
  let lastWall = 0;
  let stopped = false;

  const report = async (): Promise<void> => {
    if (stopped) return;
    const wall = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    const wallMs = lastCpu ? wall - lastWall : process.uptime() * 1000;
    lastCpu = process.cpuUsage();
    lastWall = wall;
    const cpuPercent = wallMs > 0 ? ((cpu.user + cpu.system) / 1000 / wallMs) * 100 : 0;
    try {
      const transaction = options.redis.multi();
      transaction.hset(key, {
        role: options.role,
        host: hostname(),
        pid: process.pid,
        rssBytes: process.memoryUsage.rss(),
        cpuPercent: Math.round(cpuPercent * 100) / 100,
        reportedAt: Date.now(),
        startedAt,
      });
      transaction.pexpire(key, intervalMs * PROCESS_REPORT_TTL_INTERVALS);
      await transaction.exec();
    } catch {
      // A lost report costs a sample, never the process.
    }
  };

  void report();
  const timer = setInterval(() => void report(), intervalMs);
  timer.unref();
  return {
    id,
    key,
    report,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await options.redis.del(key).catch(() => undefined);
    },
  };
}
