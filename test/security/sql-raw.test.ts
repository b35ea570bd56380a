import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * SQL only through drizzle's parameters: every value goes into a query as a bind parameter
 * (`sql\`... ${value}\``, the query builder). The ways around that — drizzle's `sql.raw()`,
 * postgres.js' `unsafe()`, a string handed to `execute()`/`exec()`/`query()` — are allowed only at
 * the call sites below, each vetted: what it splices in is a constant of our code, never a value
 * from configuration, a job payload, an upstream answer or an HTTP request. A new call site fails
 * this test until it is added here with its reason (and reviewed); a vetted one that changes or
 * goes away fails it too, so the list stays true.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));

/** What bypasses bind parameters. Regex `.exec(variable)` is not SQL; `.exec('...')` with a literal is. */
const RAW_SQL = [
  /\bsql\.raw\(/,
  /\.unsafe\(/,
  /\.(?:execute|exec|query)\(\s*[`'"]/,
  /\.(?:execute|query)\(\s*[A-Za-z_$][\w$]*\s*(?:\+|\))/,
];

interface Vetted {
  file: string;
  /** The line, trimmed, exactly. */
  line: string;
  why: string;
}

const VETTED: readonly Vetted[] = [
  {
    file: 'packages/pipeline/src/publish/publish.ts',
    line: 'sql.raw(`to_char(max(${column}) AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\')`);',
    why: "`column` is one of the literals 'fetched_at' / 'm.source_changed_at' at its two call sites (readWatermarks)",
  },
  {
    file: 'packages/pipeline/src/publish/publish.ts',
    line: 'const FETCH_PAGE = sql.raw(`FETCH FORWARD ${PAGE_ROWS} FROM`);',
    why: '`PAGE_ROWS` is the numeric constant declared just above (FETCH takes its count as a literal)',
  },
  {
    file: 'packages/pipeline/src/publish/tables.ts',
    line: 'const utc = (column: string) => sql.raw(`to_char(${column} AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\')`);',
    why: "`column` is a literal column name in the published tables' query definitions ('start_time', 'as_of')",
  },
  {
    file: 'packages/pipeline/src/store/core-records.ts',
    line: 'const MATCH_UPSERT = sql.raw(`',
    why: 'built once at load from the literal MATCH_COLUMNS list declared just above; the values travel as a bound jsonb parameter',
  },
  {
    file: 'packages/pipeline/src/store/core-records.ts',
    line: 'const APPEARANCES_UPSERT = sql.raw(`',
    why: 'built once at load from the literal APPEARANCE_COLUMNS list declared just above; the rows travel as a bound jsonb parameter',
  },
  {
    file: 'packages/pipeline/src/store/core-records.ts',
    line: 'const INCIDENTS_UPSERT = sql.raw(`',
    why: 'built once at load from the literal INCIDENT_COLUMNS list declared just above; the rows travel as a bound jsonb parameter',
  },
  {
    file: 'packages/pipeline/src/build/match-odds.ts',
    line: "const INSERT_COLUMNS = sql.raw(COLUMNS.join(', '));",
    why: 'built once at load from the literal COLUMNS list declared just above; the rows are computed in SQL from bound targets',
  },
  {
    file: 'packages/pipeline/src/build/match-odds.ts',
    line: 'const UPSERT = sql.raw(',
    why: 'built once at load from the literal COLUMNS list declared above (the conflict clause of curated.match_odds)',
  },
  {
    file: 'packages/db/src/client.ts',
    line: 'target.unsafe(query, parameters, {',
    why: "the prepared-statements wrapper passes drizzle's own query text and its bound parameters through unchanged",
  },
  {
    file: 'packages/pipeline/src/store/sql-rows.ts',
    line: 'const result: unknown = await db.execute(query);',
    why: '`query: SQL`, a drizzle sql`` template with its values bound as parameters; the type rejects a string',
  },
  {
    file: 'packages/db/src/migrate.ts',
    line: 'const result: unknown = await database.db.execute(query);',
    why: '`query: ReturnType<typeof sql>`, a drizzle sql`` template (parameters bound); the type rejects a string',
  },
  {
    file: 'packages/db/src/migrate.ts',
    line: "if (statement.trim() !== '') await connection.unsafe(statement);",
    why: 'the statements of our own migration files (drizzle/*.sql, shipped with the code); DDL cannot be parameterised',
  },
  {
    file: 'packages/db/src/testing.ts',
    line: 'await admin.unsafe(`CREATE DATABASE "${name}"`);',
    why: 'test support only; `name` is matchflow_ + a label reduced to [a-z0-9_] + random hex; CREATE DATABASE takes no parameters',
  },
  {
    file: 'packages/db/src/testing.ts',
    line: 'await cleanup.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);',
    why: 'test support only; the database it created itself (name as above)',
  },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory())
      return ['node_modules', 'dist', '.matchflow'].includes(entry.name) ? [] : sourceFiles(full);
    const code = /\.(ts|mts|js|mjs)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name);
    return code ? [full] : [];
  });
}

/** Every line of production code (packages/* and apps/*, tests excluded) that bypasses bind parameters. */
function rawSqlCallSites(): Array<{ file: string; lineNumber: number; line: string }> {
  const files = ['packages', 'apps'].flatMap((kind) =>
    readdirSync(path.join(root, kind)).flatMap((workspace) => sourceFiles(path.join(root, kind, workspace))),
  );
  return files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line, index) => ({ file: path.relative(root, file), lineNumber: index + 1, line: line.trim() }))
      .filter(({ line }) => !line.startsWith('//') && !line.startsWith('*') && RAW_SQL.some((raw) => raw.test(line))),
  );
}

describe('SQL only through bind parameters', () => {
  const found = rawSqlCallSites();

  it('every sql.raw / unsafe / string-query call site in production code is a vetted one', () => {
    const unvetted = found.filter(
      (site) => !VETTED.some((vetted) => vetted.file === site.file && vetted.line === site.line),
    );
    expect(
      unvetted.map((site) => `${site.file}:${site.lineNumber}: ${site.line}`),
      'vet each (no value from config, payloads, upstream or HTTP may reach it) and add it to VETTED with its reason',
    ).toEqual([]);
  });

  it('every vetted call site still exists as written', () => {
    const stale = VETTED.filter(
      (vetted) => !found.some((site) => site.file === vetted.file && site.line === vetted.line),
    );
    expect(stale.map((vetted) => `${vetted.file}: ${vetted.line}`)).toEqual([]);
    for (const vetted of VETTED) expect(vetted.why.length, vetted.line).toBeGreaterThan(20);
  });

  it('the check finds what it looks for', () => {
    const probe = (line: string) => RAW_SQL.some((raw) => raw.test(line));
    expect(probe('await db.execute(sql.raw(`DELETE FROM x WHERE id = ${id}`));')).toBe(true);
    expect(probe('await client.unsafe(text);')).toBe(true);
    expect(probe("await pglite.exec('DROP TABLE ' + name);")).toBe(true);
    expect(probe('await pglite.query(statement);')).toBe(true);
    expect(probe('await db.execute(sql`SELECT * FROM x WHERE id = ${id}`);')).toBe(false);
    expect(probe('const match = /^(\\d+)$/.exec(text);')).toBe(false);
  });
});
