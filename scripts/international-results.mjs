#!/usr/bin/env node
// Converts the international football results dataset (results.csv: date, home_team, away_team,
// home_score, away_score, tournament, city, country, neutral) into the input of
// `matchflow ratings rate`, with the weight keys of the `football` preset (eloratings.net's
// K 60/50/40/30/20 by match importance):
//   node scripts/international-results.mjs ../shared/fixtures/international/results.csv > results.csv
// Matches without a score (fixtures not yet played) are left out.
import { readFileSync } from 'node:fs';

const WORLD_CUP = new Set(['FIFA World Cup']);
const CONTINENTAL = new Set([
  'UEFA Euro',
  'Copa América',
  'African Cup of Nations',
  'AFC Asian Cup',
  'Gold Cup',
  'CONCACAF Championship',
  'Oceania Nations Cup',
  'Confederations Cup',
]);

function weightOf(tournament) {
  if (WORLD_CUP.has(tournament)) return 'world-cup';
  if (CONTINENTAL.has(tournament)) return 'continental';
  if (tournament.endsWith('qualification') || tournament.endsWith('Nations League')) return 'qualifier';
  if (tournament === 'Friendly') return 'friendly';
  return 'tournament';
}

/** The fields of one line: the dataset quotes a field only when it holds a comma. */
function fields(line) {
  return [...line.matchAll(/(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))/g)].map(([, quoted, plain]) =>
    quoted === undefined ? plain : quoted.replaceAll('""', '"'),
  );
}

const quote = (value) => (/[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

const [file] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node scripts/international-results.mjs results.csv > rated-input.csv\n');
  process.exit(2);
}
const lines = readFileSync(file, 'utf8').split(/\r?\n/).filter(Boolean);
const header = fields(lines[0]);
const at = (name) => header.indexOf(name);
const out = ['date,season,home,away,home_score,away_score,neutral,weight'];
for (const line of lines.slice(1)) {
  const row = fields(line);
  const [homeScore, awayScore] = [row[at('home_score')], row[at('away_score')]];
  if (!/^\d+$/.test(homeScore) || !/^\d+$/.test(awayScore)) continue;
  const date = row[at('date')];
  out.push(
    [
      date,
      date.slice(0, 4),
      row[at('home_team')],
      row[at('away_team')],
      homeScore,
      awayScore,
      row[at('neutral')] === 'TRUE' ? '1' : '0',
      weightOf(row[at('tournament')]),
    ]
      .map(quote)
      .join(','),
  );
}
process.stdout.write(`${out.join('\n')}\n`);
