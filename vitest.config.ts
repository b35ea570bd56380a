import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  // Workspace packages export their TypeScript source under this condition, so tests run
  // against src/ without a build step.
  resolve: { conditions: ['matchflow-source'] },
  ssr: { resolve: { conditions: ['matchflow-source'] } },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/.matchflow/**'],
    // Storage and queue tests hold real connections; PGlite boots a WASM Postgres per file.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', `${root}scripts/vitest-summary-reporter.ts`],
  },
});
