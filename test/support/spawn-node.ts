import { type ChildProcess, spawn } from 'node:child_process';

/** Node flags that run one of our TypeScript mains from source (workspace `src/` through tsx). */
export const FROM_SOURCE = ['--conditions=matchflow-source', '--import', import.meta.resolve('tsx')];

export interface NodeProcess {
  child: ChildProcess;
  /** Its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** Its exit code, or the signal that ended it. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything it wrote so far, stdout and stderr interleaved. */
  output(): string;
}

/**
 * `node ...args` as a test's child process, with exactly the environment given (plus PATH),
 * its output captured. `track` collects the children a test must kill when it is done.
 */
export function spawnNode(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; track?: ChildProcess[] } = {},
): NodeProcess {
  const child = spawn(process.execPath, [...args], {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.track?.push(child);
  let output = '';
  const keep = (chunk: unknown) => {
    output += String(chunk);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited: ended.then(({ code }) => code), ended, output: () => output };
}
