#!/usr/bin/env node
// Container health probe: `node probe.mjs <url> [--dashboard-auth]`. Exit 0 when GET <url>
// answers 2xx within 4 s, 1 otherwise. The image has no curl or wget; it has node.
// --dashboard-auth sends `Authorization: Bearer $MATCHFLOW_DASHBOARD__AUTH__TOKEN`: the
// dashboard's /readyz needs credentials whenever they are configured (docs/dashboard.md), and
// Kubernetes httpGet probes cannot read a Secret. Meant for URLs on this container's loopback.
const [url, flag] = process.argv.slice(2);
if (!url || (flag !== undefined && flag !== '--dashboard-auth')) {
  process.stderr.write('usage: probe.mjs <url> [--dashboard-auth]\n');
  process.exit(2);
}
const headers = {};
const { MATCHFLOW_DASHBOARD__AUTH__TOKEN: token } = process.env;
if (flag === '--dashboard-auth' && token) headers.authorization = `Bearer ${token}`;
try {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(4_000) });
  const body = (await response.text()).slice(0, 500);
  process.stdout.write(`${response.status} ${body}\n`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  process.stdout.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
