#!/usr/bin/env node
// Runs the compiled replay when built (npm run build). Otherwise runs its TypeScript source
// through tsx, in a child node that resolves workspace packages to their source
// (--conditions=matchflow-source), passing signals through and exiting with its code.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('../dist/main.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const child = spawn(
    process.execPath,
    [
      '--conditions=matchflow-source',
      '--import',
      import.meta.resolve('tsx'),
      fileURLToPath(new URL('../src/main.ts', import.meta.url)),
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit' },
  );
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
