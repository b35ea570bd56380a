/*
 * The look every dashboard page shares: colours as custom properties, light and dark (after the
 * browser's prefers-color-scheme), so charts.ts' CHART_STYLE colours the same way on every page;
 * the header, cards, tables and badges. Each page adds its own layout after it.
 */
export const BASE_STYLE = `
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--text:#1d232b;--muted:#5f6b7a;--line:#e2e6eb;--track:#eef1f4;--badge-text:#fff;--link:#0969da;--good:#1a7f37;--warn:#9a6700;--bad:#cf222e;--info:#0969da;--series-0:#0969da;--series-1:#bc4c00;--series-2:#8250df;--series-3:#1a7f37;--series-4:#bf3989;--series-5:#57606a}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--text:#e6edf3;--muted:#9198a1;--line:#30363d;--track:#21262d;--badge-text:#0d1117;--link:#58a6ff;--good:#3fb950;--warn:#d29922;--bad:#f85149;--info:#58a6ff;--series-0:#58a6ff;--series-1:#f0883e;--series-2:#bc8cff;--series-3:#3fb950;--series-4:#ff7bba;--series-5:#9198a1}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--text)}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:.5rem 1.25rem;padding:.8rem 1rem;background:#1d232b;color:#fff}
header h1{font-size:1.15rem;margin:0}
header nav{display:flex;flex-wrap:wrap;gap:.3rem .9rem}
header a{color:#9ecbff;text-decoration:none}
header .env{color:#c9d1d9;font-size:.85rem}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.6rem .9rem;min-width:0}
main a{color:var(--link)}
h2{font-size:1rem;margin:.2rem 0 .6rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th{color:var(--muted);font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.scroll{overflow-x:auto}
code{font:.85em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
.muted{color:var(--muted)}.small{font-size:.85rem}
.badge{display:inline-block;padding:0 .45rem;border-radius:999px;font-size:.78rem;font-weight:600;color:var(--badge-text);background:var(--info);white-space:nowrap}
.badge.good{background:var(--good)}.badge.warn{background:var(--warn)}.badge.bad{background:var(--bad)}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;min-width:0}
`;
