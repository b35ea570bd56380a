import type { Random } from './random.js';

/** A country as Sofascore writes it. */
export interface Country {
  alpha2: string;
  alpha3: string;
  name: string;
  slug: string;
}

export const COUNTRIES: readonly Country[] = [
  { alpha2: 'EN', alpha3: 'ENG', name: 'England', slug: 'england' },
  { alpha2: 'ES', alpha3: 'ESP', name: 'Spain', slug: 'spain' },
  { alpha2: 'DE', alpha3: 'DEU', name: 'Germany', slug: 'germany' },
  { alpha2: 'FR', alpha3: 'FRA', name: 'France', slug: 'france' },
  { alpha2: 'IT', alpha3: 'ITA', name: 'Italy', slug: 'italy' },
  { alpha2: 'PT', alpha3: 'PRT', name: 'Portugal', slug: 'portugal' },
  { alpha2: 'NL', alpha3: 'NLD', name: 'Netherlands', slug: 'netherlands' },
  { alpha2: 'BR', alpha3: 'BRA', name: 'Brazil', slug: 'brazil' },
  { alpha2: 'AR', alpha3: 'ARG', name: 'Argentina', slug: 'argentina' },
  { alpha2: 'RS', alpha3: 'SRB', name: 'Serbia', slug: 'serbia' },
  { alpha2: 'CZ', alpha3: 'CZE', name: 'Czechia', slug: 'czechia' },
  { alpha2: 'JP', alpha3: 'JPN', name: 'Japan', slug: 'japan' },
  { alpha2: 'US', alpha3: 'USA', name: 'USA', slug: 'usa' },
  { alpha2: 'NG', alpha3: 'NGA', name: 'Nigeria', slug: 'nigeria' },
];

/** The simulated league's home country: every club and venue is here. */
export const HOME_COUNTRY: Country = { alpha2: 'DL', alpha3: 'DLD', name: 'Demoland', slug: 'demoland' };

const SYLLABLES = [
  'bar',
  'ton',
  'wick',
  'ham',
  'ley',
  'mor',
  'den',
  'ford',
  'ash',
  'brook',
  'cal',
  'dor',
  'ell',
  'fen',
  'gar',
  'hol',
  'kes',
  'lin',
  'mar',
  'nor',
  'ock',
  'pen',
  'quin',
  'ros',
  'sel',
  'tarn',
  'ul',
  'ven',
  'wes',
  'yar',
];
const CLUB_SUFFIXES = [
  'FC',
  'United',
  'City',
  'Athletic',
  'Rovers',
  'Wanderers',
  'Town',
  'Albion',
  'Sporting',
  'Rangers',
];
const FIRST_NAMES = [
  'Alex',
  'Bruno',
  'Carlos',
  'Dario',
  'Emil',
  'Felix',
  'Goran',
  'Hugo',
  'Ivan',
  'Jonas',
  'Karim',
  'Luca',
  'Mateo',
  'Nico',
  'Oscar',
  'Pavel',
  'Rafael',
  'Samir',
  'Tomas',
  'Umar',
  'Victor',
  'Wout',
  'Yann',
  'Zoran',
  'Adrien',
  'Bastian',
  'Cesar',
  'Diego',
  'Elias',
  'Fabio',
];
const LAST_NAMES = [
  'Almeida',
  'Berg',
  'Costa',
  'Dvorak',
  'Eriksen',
  'Fischer',
  'Garcia',
  'Horvat',
  'Ivanov',
  'Jansen',
  'Kovac',
  'Larsen',
  'Moreau',
  'Novak',
  'Okafor',
  'Petrov',
  'Quaresma',
  'Rossi',
  'Silva',
  'Tanaka',
  'Urban',
  'Vidal',
  'Weber',
  'Xavier',
  'Yilmaz',
  'Zielinski',
  'Bauer',
  'Conti',
  'Duarte',
  'Ferrari',
  'Gomez',
  'Hansen',
  'Keller',
  'Lopes',
  'Muller',
  'Nakamura',
];

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** `Ashford` from two or three syllables. */
export function placeName(random: Random): string {
  const count = random.chance(0.3) ? 3 : 2;
  return capitalise(Array.from({ length: count }, () => random.pick(SYLLABLES)).join(''));
}

export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

export interface PersonName {
  firstName: string;
  lastName: string;
  name: string;
  shortName: string;
}

export function personName(random: Random): PersonName {
  const firstName = random.pick(FIRST_NAMES);
  const lastName = random.pick(LAST_NAMES);
  return { firstName, lastName, name: `${firstName} ${lastName}`, shortName: `${firstName.charAt(0)}. ${lastName}` };
}

/** Distinct club names: `Ashford United`, `Morden City`, ... */
export function clubNames(random: Random, count: number): string[] {
  const names = new Set<string>();
  while (names.size < count) names.add(`${placeName(random)} ${random.pick(CLUB_SUFFIXES)}`);
  return [...names];
}

/** `ASH` for `Ashford United`. */
export function nameCode(name: string): string {
  return name
    .replace(/[^A-Za-z]/g, '')
    .slice(0, 3)
    .toUpperCase();
}

export function hexColour(random: Random): string {
  return `#${random.int(0, 0xffffff).toString(16).padStart(6, '0')}`;
}

/** Translations as Sofascore nests them; we only carry two languages. */
export function fieldTranslations(name: string, shortName?: string) {
  return {
    nameTranslation: { ar: name, ru: name },
    shortNameTranslation: shortName ? { ar: shortName, ru: shortName } : {},
  };
}
