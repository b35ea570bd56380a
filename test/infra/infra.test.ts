import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Config, type Env, loadConfig } from '@matchflow/config';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

/*
 * The deployment files in infra/ (docs/deployment.md) cannot be run here (no Docker daemon, no
 * cluster), so this checks what would break them: every YAML parses, the keys each tool needs
 * are there, everything they reference exists (files, apps, env variables, Secret keys), the
 * configuration they ship is valid for loadConfig, and the grace periods outlast the workers'
 * shutdown timeout. systemd-analyze verifies the units when it is installed.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const INFRA = path.join(ROOT, 'infra');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is walked freely; shapes are asserted.
type Yaml = any;

/** `${VAR}`, `${VAR:-x}`, `${VAR:?msg}` in a compose file, `$$` being a literal `$`. */
function composeVariables(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.replaceAll('$$', '').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}/g)) {
    names.add(match[1] as string);
  }
  return [...names].sort();
}

/** KEY=value lines of an env file. */
function envFile(text: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) entries[match[1] as string] = match[2] as string;
  }
  return entries;
}

/** Compose-style interpolation with the given variables (what `docker compose config` does). */
function interpolateCompose(value: string, variables: Record<string, string>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?]([^}]*))?\}/g, (_, name: string, fallback?: string) => {
    const found = variables[name];
    if (found !== undefined && found !== '') return found;
    return fallback ?? '';
  });
}

const APPS = readdirSync(path.join(ROOT, 'apps'));

/** `node apps/<app>/dist/main.js`: the app exists and its build writes that file (bin, tsconfig). */
function expectBuiltEntry(file: string): void {
  const match = /^(?:\/app\/|\/opt\/matchflow\/)?apps\/([^/]+)\/dist\/main\.js$/.exec(file);
  expect(match, file).not.toBeNull();
  const app = match?.[1] as string;
  expect(APPS, file).toContain(app);
  expect(existsSync(path.join(ROOT, 'apps', app, 'src', 'main.ts')), file).toBe(true);
  expect(read(`apps/${app}/tsconfig.build.json`)).toContain('tsconfig.build.json');
  // The root build config compiles src/ into dist/ (rootDir src, outDir dist).
  expect(read('tsconfig.build.json')).toMatch(
    /"outDir": "\$\{configDir\}\/dist"[\s\S]*"rootDir": "\$\{configDir\}\/src"/,
  );
}

describe('infra/compose', () => {
  const text = read('infra/compose/docker-compose.yml');
  const compose: Yaml = parse(text, { merge: true });
  const services = compose.services;
  const example = envFile(read('infra/compose/.env.example'));

  it('has the services, a health check on each long-lived one, and Redis configured for BullMQ', () => {
    expect(Object.keys(services).sort()).toEqual(['dashboard', 'migrate', 'postgres', 'redis', 'scheduler', 'worker']);
    for (const name of ['redis', 'postgres', 'worker', 'scheduler', 'dashboard']) {
      expect(services[name].healthcheck?.test, name).toBeInstanceOf(Array);
      expect(services[name].restart, name).toBe('unless-stopped');
    }
    const redis = services.redis;
    expect(redis.command.slice(0, 2)).toEqual(['redis-server', '/usr/local/etc/redis/redis.conf']);
    expect(redis.volumes).toContain('../redis/redis.conf:/usr/local/etc/redis/redis.conf:ro');
    const conf = redisDirectives(read('infra/redis/redis.conf'));
    expect(conf.get('maxmemory-policy')).toBe('noeviction');
    expect(conf.get('appendonly')).toBe('yes');
    // Nothing on the command line undoes them.
    expect(redis.command.join(' ')).not.toMatch(/maxmemory-policy|appendonly|--save/);
    expect(services.postgres.healthcheck.test.join(' ')).toContain('pg_isready');
  });

  it('migrates once before anything else starts, and runs 3 scalable workers that drain on SIGTERM', () => {
    expect(services.migrate.command).toEqual(['node', 'apps/cli/dist/main.js', 'db', 'migrate']);
    expect(services.migrate.restart).toBe('no');
    expect(services.migrate.depends_on.postgres.condition).toBe('service_healthy');
    for (const name of ['worker', 'scheduler', 'dashboard']) {
      expect(services[name].depends_on, name).toEqual({
        redis: { condition: 'service_healthy' },
        postgres: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
      });
    }
    const worker = services.worker;
    expect(worker.deploy.replicas).toBe(3);
    // `--scale worker=N` needs containers without a fixed name or host port.
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    expect(worker.stop_signal).toBe('SIGTERM');
    const config = serviceConfig('worker');
    expect(seconds(worker.stop_grace_period)).toBeGreaterThan(config.workers.shutdownTimeoutMs / 1000);
    expect(services.dashboard.ports).toEqual(['${DASHBOARD_PUBLISH:-127.0.0.1:3000}:3000']);
  });

  it('runs built entry points, and probes what the processes serve', () => {
    for (const name of ['migrate', 'worker', 'scheduler', 'dashboard']) {
      expect(services[name].command[0], name).toBe('node');
      expectBuiltEntry(services[name].command[1]);
    }
    for (const name of ['worker', 'scheduler']) {
      const config = serviceConfig(name);
      expect(config.health).toEqual({ host: '0.0.0.0', port: 8081 });
      expect(services[name].healthcheck.test).toEqual([
        'CMD',
        'node',
        '/app/infra/docker/probe.mjs',
        `http://127.0.0.1:${config.health.port}/readyz`,
      ]);
    }
    const dashboard = serviceConfig('dashboard');
    expect(dashboard.dashboard.auth.token).toBe(example.DASHBOARD_TOKEN);
    expect(services.dashboard.healthcheck.test).toEqual([
      'CMD',
      'node',
      '/app/infra/docker/probe.mjs',
      `http://127.0.0.1:${dashboard.dashboard.port}/readyz`,
      '--dashboard-auth',
    ]);
    expect(read('infra/docker/Dockerfile')).toContain('COPY infra/docker/probe.mjs /app/infra/docker/probe.mjs');
  });

  it('declares every variable it references in .env.example', () => {
    const referenced = composeVariables(text);
    expect(referenced.length).toBeGreaterThan(5);
    expect(referenced.filter((name) => !(name in example))).toEqual([]);
    // And .env.example holds nothing the compose file ignores.
    expect(Object.keys(example).filter((name) => !referenced.includes(name))).toEqual([]);
  });

  it('gives every matchflow service a configuration that loadConfig accepts (mounted file + environment)', () => {
    const mounted = services.worker.volumes[0] as string;
    expect(interpolateCompose(mounted, example)).toBe('./matchflow.compose.yaml:/etc/matchflow/matchflow.yaml:ro');
    for (const name of ['migrate', 'worker', 'scheduler', 'dashboard']) {
      const config = serviceConfig(name);
      expect(config.env, name).toBe('prod');
      expect(config.redis.url, name).toBe(`redis://:${example.REDIS_PASSWORD}@redis:6379`);
      expect(config.database.url, name).toBe(
        `postgres://matchflow:${example.POSTGRES_PASSWORD}@postgres:5432/matchflow`,
      );
      expect(config.dataDir, name).toBe('/var/lib/matchflow');
    }
  });

  /** The config a service's process would load: the mounted file, its environment after interpolation. */
  function serviceConfig(name: string): Config {
    const environment: Record<string, string> = {};
    for (const [key, value] of Object.entries(services[name].environment ?? {})) {
      environment[key] = interpolateCompose(String(value), example);
    }
    expect(environment.MATCHFLOW_CONFIG).toBe('/etc/matchflow/matchflow.yaml');
    const { MATCHFLOW_CONFIG: _file, ...env } = environment;
    const file = path.join(INFRA, 'compose', 'matchflow.compose.yaml');
    return loadConfig(env, readFileSync(file, 'utf8'), { fileName: file, baseDir: path.dirname(file) });
  }
});

describe('infra/docker/Dockerfile', () => {
  const text = read('infra/docker/Dockerfile');
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('is multi-stage: builds with npm ci + npm run build, runs as a non-root user from a slim image', () => {
    const stages = lines.filter((line) => line.startsWith('FROM '));
    expect(stages).toEqual([
      'FROM node:${NODE_VERSION}-bookworm-slim AS build',
      'FROM node:${NODE_VERSION}-bookworm-slim AS runtime',
    ]);
    expect(text).toMatch(/^ARG NODE_VERSION=20\.\d+$/m);
    const runs = lines.filter((line) => line.startsWith('RUN '));
    expect(runs[0]).toBe('RUN npm ci --no-audit --no-fund');
    expect(runs[1]).toMatch(/^RUN npm run build\s+&& npm prune --omit=dev/);
    const runtime = lines.slice(lines.indexOf(stages[1] as string));
    expect(runtime).toContain('USER node');
    expect(runtime).toContain('COPY --from=build /app /app');
    const cmd = JSON.parse(runtime.find((line) => line.startsWith('CMD '))?.slice(4) ?? '[]') as string[];
    expect(cmd[0]).toBe('node');
    expectBuiltEntry(cmd[1] as string);
    for (const app of ['cli', 'worker', 'scheduler', 'dashboard']) expect(text).toContain(`:${app}`);
  });

  it('copies only paths that exist, and every workspace manifest before npm ci (its lockfile lists them all)', () => {
    const copies = lines.filter((line) => line.startsWith('COPY ') && !line.includes('--from='));
    expect(copies.length).toBeGreaterThan(5);
    for (const copy of copies) {
      const parts = copy.split(/\s+/).slice(1);
      for (const source of parts.slice(0, -1)) expect(existsSync(path.join(ROOT, source)), copy).toBe(true);
    }
    const beforeInstall = copies.slice(
      0,
      copies.findIndex((line) => line.startsWith('COPY tsconfig')),
    );
    const workspaces = ['apps', 'packages'].flatMap((kind) =>
      readdirSync(path.join(ROOT, kind))
        .filter((name) => existsSync(path.join(ROOT, kind, name, 'package.json')))
        .map((name) => `${kind}/${name}/package.json`),
    );
    for (const manifest of workspaces) {
      expect(beforeInstall, manifest).toContain(`COPY ${manifest} ${path.dirname(manifest)}/`);
    }
    // A bin npm links must exist when it installs.
    const replayBin = JSON.parse(read('apps/replay-api/package.json')).bin['matchflow-replay'] as string;
    expect(beforeInstall).toContain('COPY apps/replay-api/bin apps/replay-api/bin');
    expect(replayBin.startsWith('./bin/')).toBe(true);
  });

  it('keeps local installs and build output out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const pattern of ['**/node_modules', '**/dist', '.git', '.env']) expect(ignored).toContain(pattern);
    // The migrations are read at run time from packages/db/drizzle.
    expect(existsSync(path.join(ROOT, 'packages/db/drizzle'))).toBe(true);
    expect(ignored.some((pattern) => pattern.includes('drizzle'))).toBe(false);
  });
});

describe('infra/docker/probe.mjs', () => {
  it('exits 0 on 2xx and 1 otherwise, sending the dashboard token only when asked', async () => {
    const { createServer } = await import('node:http');
    const seen: Array<string | undefined> = [];
    const server = createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.writeHead(request.url === '/ok' ? 200 : 503).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const probe = (args: string[]) =>
      new Promise<number | null>((resolve) => {
        import('node:child_process').then(({ spawn }) => {
          const child = spawn(process.execPath, [path.join(INFRA, 'docker/probe.mjs'), ...args], {
            env: { MATCHFLOW_DASHBOARD__AUTH__TOKEN: 'a-token-of-sixteen-chars' },
            stdio: 'ignore',
          });
          child.on('exit', (code) => resolve(code));
        });
      });
    try {
      expect(await probe([`http://127.0.0.1:${port}/ok`])).toBe(0);
      expect(await probe([`http://127.0.0.1:${port}/readyz`])).toBe(1);
      expect(await probe([`http://127.0.0.1:${port}/ok`, '--dashboard-auth'])).toBe(0);
      expect(await probe(['http://127.0.0.1:9/nothing-listens'])).toBe(1);
      expect(await probe([])).toBe(2);
      expect(seen).toEqual([undefined, undefined, 'Bearer a-token-of-sixteen-chars']);
    } finally {
      server.close();
    }
  });
});

describe('infra/k8s', () => {
  const files = listYaml(path.join(INFRA, 'k8s'));
  const documents: Array<{ file: string; doc: Yaml }> = files.flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8')).map((document) => {
      expect(document.errors, file).toEqual([]);
      return { file: path.relative(ROOT, file), doc: document.toJS() };
    }),
  );
  const ofKind = (kind: string) => documents.filter(({ doc }) => doc.kind === kind).map(({ doc }) => doc);
  const deployments = ofKind('Deployment');
  const configMap = ofKind('ConfigMap')[0];
  const secret = ofKind('Secret')[0];

  it('has apiVersion, kind and metadata.name on every document, and a kustomization of existing files', () => {
    expect(documents.length).toBeGreaterThan(8);
    for (const { file, doc } of documents) {
      expect(typeof doc.apiVersion, file).toBe('string');
      expect(typeof doc.kind, file).toBe('string');
      expect(typeof doc.metadata?.name, file).toBe('string');
    }
    const kustomization = ofKind('Kustomization')[0];
    for (const resource of kustomization.resources) {
      expect(existsSync(path.join(INFRA, 'k8s', resource)), resource).toBe(true);
    }
    expect(deployments.map((deployment) => deployment.metadata.name).sort()).toEqual([
      'matchflow-dashboard',
      'matchflow-scheduler',
      'matchflow-worker',
    ]);
    const service = ofKind('Service')[0];
    const dashboard = deployments.find((deployment) => deployment.metadata.name === 'matchflow-dashboard');
    expect(dashboard.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(dashboard.spec.template.spec.containers[0].ports.map((port: Yaml) => port.name)).toContain(
      service.spec.ports[0].targetPort,
    );
  });

  it('gives every Deployment probes, resources and a grace period above the shutdown timeout', () => {
    for (const deployment of deployments) {
      const name = deployment.metadata.name;
      const pod = deployment.spec.template.spec;
      expect(deployment.spec.selector.matchLabels, name).toEqual(deployment.spec.template.metadata.labels);
      const config = configFor(deployment);
      expect(pod.terminationGracePeriodSeconds, name).toBeGreaterThan(config.workers.shutdownTimeoutMs / 1000);
      for (const container of pod.containers) {
        expect(container.livenessProbe, name).toBeDefined();
        expect(container.readinessProbe, name).toBeDefined();
        expect(container.livenessProbe.httpGet.path, name).toBe('/healthz');
        const readiness = container.readinessProbe.httpGet?.path ?? container.readinessProbe.exec.command.join(' ');
        expect(readiness, name).toContain('/readyz');
        const ports = (container.ports ?? []).map((port: Yaml) => port.name);
        for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
          if (probe?.httpGet) expect(ports, name).toContain(probe.httpGet.port);
        }
        expect(container.resources.requests.cpu, name).toBeDefined();
        expect(container.resources.requests.memory, name).toBeDefined();
        expect(container.resources.limits.memory, name).toBeDefined();
        expect(container.command[0]).toBe('node');
        expectBuiltEntry(container.command[1]);
        expect(container.securityContext.allowPrivilegeEscalation, name).toBe(false);
      }
      expect(pod.securityContext.runAsNonRoot, name).toBe(true);
    }
  });

  it('wires the ConfigMap, Secret and volume in, and the ConfigMap holds a valid configuration', () => {
    const secretKeys = Object.keys(secret.stringData);
    const claims = ofKind('PersistentVolumeClaim').map((claim) => claim.metadata.name);
    for (const workload of [...deployments, ...ofKind('Job')]) {
      const pod = workload.spec.template.spec;
      for (const container of pod.containers) {
        for (const variable of container.env) {
          const ref = variable.valueFrom?.secretKeyRef;
          if (ref) {
            expect(ref.name).toBe(secret.metadata.name);
            expect(secretKeys, `${workload.metadata.name} ${variable.name}`).toContain(ref.key);
          }
        }
        const mount = container.volumeMounts.find((entry: Yaml) => entry.mountPath === '/etc/matchflow');
        const volume = pod.volumes.find((entry: Yaml) => entry.name === mount.name);
        expect(volume.configMap.name).toBe(configMap.metadata.name);
      }
      for (const volume of pod.volumes) {
        if (volume.persistentVolumeClaim) expect(claims).toContain(volume.persistentVolumeClaim.claimName);
      }
      // Every process loads the file with its own environment: all must be valid.
      const config = configFor(workload);
      expect(config.env).toBe('prod');
      expect(config.redis.url).toBe(secret.stringData.REDIS_URL);
    }
    for (const name of ['matchflow-worker', 'matchflow-scheduler']) {
      const deployment = deployments.find((entry) => entry.metadata.name === name);
      const config = configFor(deployment);
      const health = deployment.spec.template.spec.containers[0].ports.find((port: Yaml) => port.name === 'health');
      expect(config.health).toEqual({ host: '0.0.0.0', port: health.containerPort });
    }
    const dashboard = configFor(deployments.find((entry) => entry.metadata.name === 'matchflow-dashboard'));
    expect(dashboard.dashboard.host).toBe('0.0.0.0');
    expect(dashboard.dashboard.auth.token).toBe(secret.stringData.DASHBOARD_TOKEN);
  });

  it("scales workers on BullMQ's wait list of the configured prefix", () => {
    const scaled = ofKind('ScaledObject')[0];
    const config = loadConfig(secretEnv(), configMap.data['matchflow.yaml']);
    const redisTrigger = scaled.spec.triggers.find((trigger: Yaml) => trigger.type === 'redis');
    expect(redisTrigger.metadata.listName).toBe(`${config.redis.prefix}:ingest:wait`);
    expect(scaled.spec.scaleTargetRef.name).toBe('matchflow-worker');
    const auth = ofKind('TriggerAuthentication')[0];
    expect(redisTrigger.authenticationRef.name).toBe(auth.metadata.name);
    expect(Object.keys(secret.stringData)).toContain(auth.spec.secretTargetRef[0].key);
    const hpa = ofKind('HorizontalPodAutoscaler')[0];
    expect(hpa.spec.scaleTargetRef.name).toBe('matchflow-worker');
  });

  function secretEnv(): Env {
    return Object.fromEntries(Object.entries(secret.stringData).map(([key, value]) => [key, String(value)]));
  }

  /** The configuration a workload's container loads: the ConfigMap's file and its environment. */
  function configFor(workload: Yaml): Config {
    const env: Record<string, string> = {};
    for (const variable of workload.spec.template.spec.containers[0].env) {
      if (variable.name === 'MATCHFLOW_CONFIG') continue;
      const ref = variable.valueFrom?.secretKeyRef;
      env[variable.name] = ref ? String(secret.stringData[ref.key]) : String(variable.value);
    }
    return loadConfig(env, configMap.data['matchflow.yaml'], { fileName: 'infra/k8s/configmap.yaml' });
  }
});

describe('infra/systemd', () => {
  const dir = path.join(INFRA, 'systemd');
  const units = readdirSync(dir).filter((file) => file.endsWith('.service'));
  const defaults = loadConfig({});
  const workDirs: string[] = [];
  afterAll(() => {
    for (const workDir of workDirs) rmSync(workDir, { recursive: true, force: true });
  });

  it('has a templated worker, a scheduler and a dashboard unit with the keys that keep them running', () => {
    expect(units.sort()).toEqual([
      'matchflow-dashboard.service',
      'matchflow-scheduler.service',
      'matchflow-worker@.service',
    ]);
    for (const unit of units) {
      const sections = parseUnit(readFileSync(path.join(dir, unit), 'utf8'));
      expect([...sections.keys()], unit).toEqual(['Unit', 'Service', 'Install']);
      const service = sections.get('Service') as Map<string, string[]>;
      const one = (key: string) => {
        const values = service.get(key);
        expect(values, `${unit} ${key}`).toHaveLength(1);
        return values?.[0] as string;
      };
      const [node, entry] = one('ExecStart').split(' ');
      expect(node).toBe('/usr/bin/node');
      expectBuiltEntry(entry as string);
      expect(entry).toContain(`/apps/${unit.replace(/^matchflow-|@?\.service$/g, '')}/dist/main.js`);
      expect(['on-failure', 'always']).toContain(one('Restart'));
      expect(Number(one('RestartSec'))).toBeGreaterThan(0);
      expect(one('KillSignal')).toBe('SIGTERM');
      // The worker drains jobs in flight for workers.shutdownTimeoutMs before systemd's SIGKILL.
      const stopSec = Number(one('TimeoutStopSec'));
      expect(stopSec).toBeGreaterThan(
        unit.startsWith('matchflow-worker') ? defaults.workers.shutdownTimeoutMs / 1000 : 0,
      );
      expect(one('User')).toBe('matchflow');
      expect(one('EnvironmentFile')).toBe('/etc/matchflow/matchflow.env');
      expect(one('NoNewPrivileges')).toBe('yes');
      expect(one('ProtectSystem')).toBe('strict');
      expect(one('ReadWritePaths')).toBe('/var/lib/matchflow');
      expect(one('PrivateTmp')).toBe('yes');
      const unitSection = sections.get('Unit') as Map<string, string[]>;
      expect(unitSection.get('After')?.[0]).toMatch(/network-online\.target.*redis.*postgresql\.service/);
      expect(unitSection.get('Wants')?.[0]).toBe('network-online.target');
      expect(sections.get('Install')?.get('WantedBy')?.[0]).toBe('multi-user.target');
    }
    const worker = readFileSync(path.join(dir, 'matchflow-worker@.service'), 'utf8');
    expect(worker).toContain('%i');
    // The environment file example names the variables the docs say it holds.
    const example = envFile(read('infra/systemd/matchflow.env.example'));
    expect(Object.keys(example)).toEqual(expect.arrayContaining(['REDIS_URL', 'DATABASE_URL']));
  });

  const analyze = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).stdout.trim();
  if (!analyze) console.info('[infra] systemd-analyze is not installed: `systemd-analyze verify` skipped');

  it.skipIf(!analyze)('passes systemd-analyze verify', () => {
    const workDir = mkdtempSync(path.join(tmpdir(), 'matchflow-units-'));
    workDirs.push(workDir);
    const targets: string[] = [];
    for (const unit of units) {
      writeFileSync(path.join(workDir, unit), readFileSync(path.join(dir, unit)));
      if (unit.endsWith('@.service')) {
        // A template is verified through an instance of it.
        const instance = unit.replace('@.service', '@1.service');
        symlinkSync(path.join(workDir, unit), path.join(workDir, instance));
        targets.push(path.join(workDir, instance));
      } else {
        targets.push(path.join(workDir, unit));
      }
    }
    const result = spawnSync(analyze, ['verify', '--man=no', ...targets], { encoding: 'utf8' });
    // It also reports ExecStart binaries missing on this machine: node lives elsewhere here.
    const problems = `${result.stdout}${result.stderr}`
      .split('\n')
      .filter((line) => line.trim() !== '')
      .filter((line) => existsSync('/usr/bin/node') || !line.includes('/usr/bin/node'));
    expect(problems).toEqual([]);
    if (existsSync('/usr/bin/node')) expect(result.status).toBe(0);
  });
});

describe('infra/redis/redis.conf', () => {
  it('sets what BullMQ needs and nothing that loses jobs', () => {
    const conf = redisDirectives(read('infra/redis/redis.conf'));
    expect(conf.get('maxmemory-policy')).toBe('noeviction');
    expect(conf.get('appendonly')).toBe('yes');
    expect(conf.get('appendfsync')).toBe('everysec');
    expect(conf.get('timeout')).toBe('0');
    expect(conf.get('no-appendfsync-on-rewrite')).toBe('no');
    expect(conf.get('save')).not.toBe('""');
    expect(existsSync(path.join(INFRA, 'redis.conf'))).toBe(false);
  });

  it('is the only redis.conf the docs point at', () => {
    const texts = ['README.md', 'docs/setup.md', 'docs/operations.md', 'docs/deployment.md', 'matchflow.example.yaml'];
    for (const file of texts) {
      expect(read(file), file).not.toMatch(/infra\/redis\.conf/);
    }
    expect(read('packages/queues/src/errors.ts')).toContain('infra/redis/redis.conf');
  });
});

/** Directives of a redis.conf: the last value of each, comments and blank lines dropped. */
function redisDirectives(text: string): Map<string, string> {
  const directives = new Map<string, string>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [key, ...rest] = trimmed.split(/\s+/);
    directives.set((key as string).toLowerCase(), rest.join(' '));
  }
  return directives;
}

/** Sections of a systemd unit: key -> values (a key may repeat). Fails on a line outside the syntax. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[([A-Za-z]+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1] as string, current);
      continue;
    }
    const entry = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line);
    if (!entry || !current) throw new Error(`not a unit file line: ${line}`);
    const values = current.get(entry[1] as string) ?? [];
    values.push((entry[2] as string).trim());
    current.set(entry[1] as string, values);
  }
  return sections;
}

function seconds(duration: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(duration);
  if (!match) throw new Error(`not a duration: ${duration}`);
  const value = Number(match[1]);
  return match[2] === 'ms' ? value / 1000 : match[2] === 'm' ? value * 60 : value;
}

function listYaml(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listYaml(full);
    return /\.ya?ml$/.test(entry.name) ? [full] : [];
  });
}
