import { defineConfig } from 'drizzle-kit';

// Generates SQL migrations from the schema: `npm run db:generate`. Commit the output.
export default defineConfig({
  dialect: 'postgresql',
  schema: [
    './src/schema/raw.ts',
    './src/schema/core.ts',
    './src/schema/ratings.ts',
    './src/schema/curated.ts',
    './src/schema/ops.ts',
  ],
  out: './drizzle',
});
