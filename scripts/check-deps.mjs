#!/usr/bin/env node
// Enforces the package dependency direction of DESIGN §2:
//   apps -> dashboard -> pipeline -> {sources, ratings, db, queues, telemetry} -> config
// Checks both what each workspace declares in package.json and what its source files import,
// so an import that only works thanks to hoisting is caught too. Exit 1 on any violation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const SCOPE = '@matchflow/';

/** Which of our packages each package may use. Apps may use any package, never an app. */
const ALLOWED = {
  // Test support only: any package's tests may use it (as a devDependency); it uses none of ours.
  testing: [],
  config: [],
  // The replay upstream: a simulated world and its server, independent of everything else.
  replay: [],
  ratings: [],
  telemetry: ['config'],
  db: ['config'],
  queues: ['config', 'telemetry'],
  sources: ['config', 'telemetry'],
  pipeline: ['config', 'telemetry', 'db', 'queues', 'sources', 'ratings'],
  // The dashboard as a library, so that `matchflow start` can embed it (apps may not import apps).
  dashboard: ['config', 'telemetry', 'db', 'queues', 'sources', 'pipeline'],
};

function workspaces(kind) {
  const dir = path.join(root, kind);
  return readdirSync(dir)
    .filter((name) => statSync(path.join(dir, name)).isDirectory())
    .map((name) => {
      const manifest = JSON.parse(readFileSync(path.join(dir, name, 'package.json'), 'utf8'));
      return { kind, dir: path.join(dir, name), name: manifest.name, manifest };
    });
}

function sourceFiles(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && !['node_modules', 'dist'].includes(entry.name)) files.push(...sourceFiles(full));
    else if (entry.isFile() && entry.name.endsWith('.ts')) files.push(full);
  }
  return files;
}

const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)['"](@matchflow\/[^'"/]+)/g;

const packages = workspaces('packages');
const apps = workspaces('apps');
const appNames = new Set(apps.map((app) => app.name));
const problems = [];

for (const workspace of [...packages, ...apps]) {
  const short = workspace.name.startsWith(SCOPE) ? workspace.name.slice(SCOPE.length) : workspace.name;
  if (workspace.kind === 'packages' && !(short in ALLOWED)) {
    problems.push(
      `${workspace.name}: not in the dependency rules of scripts/check-deps.mjs; add it with its allowed dependencies`,
    );
    continue;
  }
  const declared = new Set(
    Object.keys({ ...workspace.manifest.dependencies, ...workspace.manifest.devDependencies }).filter((dep) =>
      dep.startsWith(SCOPE),
    ),
  );
  const allowedFor = (dep) => {
    if (dep === workspace.name) return true;
    if (dep === `${SCOPE}testing`) return short !== 'testing';
    if (appNames.has(dep)) return false;
    if (workspace.kind === 'apps') return true;
    return ALLOWED[short].includes(dep.slice(SCOPE.length));
  };
  for (const dep of declared) {
    if (!allowedFor(dep)) problems.push(`${workspace.name} declares ${dep}: against the dependency direction`);
  }
  const srcDir = path.join(workspace.dir, 'src');
  for (const file of statSync(srcDir, { throwIfNoEntry: false }) ? sourceFiles(srcDir) : []) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const dep = match[1];
      const where = path.relative(root, file);
      if (!allowedFor(dep)) problems.push(`${where} imports ${dep}: against the dependency direction`);
      else if (dep !== workspace.name && !declared.has(dep)) {
        problems.push(`${where} imports ${dep}, which ${workspace.name}'s package.json does not declare`);
      }
    }
  }
}

if (problems.length > 0) {
  process.stderr.write(
    `dependency direction: ${problems.length} problem(s)\n${problems.map((p) => `  - ${p}`).join('\n')}\n`,
  );
  process.exit(1);
}
process.stdout.write(`dependency direction: OK (${packages.length} packages, ${apps.length} apps)\n`);
