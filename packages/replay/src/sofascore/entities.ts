import type { Category, Competition, Player, Referee, Season, Sport, Team, Venue } from '../world/model.js';
import { type Country, fieldTranslations, HOME_COUNTRY } from '../world/names.js';

/*
 * Sofascore's shapes for the things events are made of. Key order follows the recorded
 * responses, so a diff against a real body reads naturally.
 */

const SPORTS: Record<Sport, { name: string; slug: string; id: number }> = {
  football: { name: 'Football', slug: 'football', id: 1 },
  tennis: { name: 'Tennis', slug: 'tennis', id: 5 },
};

export function renderSport(sport: Sport) {
  return { ...SPORTS[sport] };
}

export function renderCountry(country: Country | undefined) {
  return country ? { alpha2: country.alpha2, alpha3: country.alpha3, name: country.name, slug: country.slug } : {};
}

export function renderCategory(category: Category, sport: Sport) {
  return {
    name: category.name,
    slug: category.slug,
    sport: renderSport(sport),
    priority: 10,
    id: category.id,
    country: renderCountry(category.country),
    flag: category.flag,
    ...(category.country ? { alpha2: category.country.alpha2 } : {}),
    fieldTranslations: fieldTranslations(category.name),
  };
}

export type Variant = 'full' | 'list';

export function renderUniqueTournament(competition: Competition, variant: Variant) {
  const tennis = competition.sport === 'tennis';
  return {
    name: competition.name,
    slug: competition.slug,
    primaryColorHex: competition.colours.primary,
    secondaryColorHex: competition.colours.secondary,
    category: renderCategory(competition.category, competition.sport),
    userCount: competition.userCount,
    ...(variant === 'full' ? { hasRounds: competition.kind === 'league' } : {}),
    ...(tennis ? { groundType: 'Hardcourt outdoor', tennisPoints: 250 } : {}),
    hasPerformanceGraphFeature: !tennis,
    ...(variant === 'full' ? { showBanner: false } : {}),
    liveActivityEnabled: false,
    country: {},
    id: competition.uniqueTournamentId,
    hasEventPlayerStatistics: !tennis,
    displayInverseHomeAwayTeams: false,
    fieldTranslations: fieldTranslations(competition.name),
  };
}

export function renderTournament(competition: Competition, season: Season, variant: Variant) {
  const tennis = competition.sport === 'tennis';
  return {
    name: competition.name,
    slug: competition.slug,
    category: renderCategory(competition.category, competition.sport),
    uniqueTournament: renderUniqueTournament(competition, variant),
    priority: 300,
    isGroup: false,
    ...(variant === 'full' ? { competitionType: competition.kind === 'league' ? 1 : 2 } : {}),
    isLive: false,
    ...(tennis
      ? {
          startTimestamp: season.startTimestamp,
          endTimestamp: season.endTimestamp + 86_400,
          qualificationOrPreliminary: false,
        }
      : {}),
    id: competition.tournamentId,
    fieldTranslations: fieldTranslations(competition.name),
  };
}

export function renderSeason(season: Season) {
  return {
    name: season.name,
    year: season.year,
    editor: false,
    seasonCoverageInfo: { editorCoverageLevel: 1 },
    id: season.id,
  };
}

function renderVenueCity(venue: Venue) {
  return { name: venue.city.name, country: renderCountry(HOME_COUNTRY), id: venue.city.id };
}

export function renderVenue(venue: Venue) {
  return {
    city: renderVenueCity(venue),
    venueCoordinates: { latitude: venue.latitude, longitude: venue.longitude },
    hidden: false,
    slug: venue.slug,
    name: venue.name,
    capacity: venue.capacity,
    id: venue.id,
    country: renderCountry(HOME_COUNTRY),
    stadium: { name: venue.name, capacity: venue.capacity },
    fieldTranslations: fieldTranslations(venue.name),
  };
}

/** A team (or, in tennis, a player as Sofascore models one). */
export function renderTeam(team: Team, variant: Variant) {
  const full = variant === 'full';
  const tennis = team.tennis;
  return {
    name: team.name,
    slug: team.slug,
    shortName: team.shortName,
    gender: 'M',
    sport: renderSport(team.sport),
    userCount: team.userCount,
    ...(full && team.manager
      ? {
          manager: {
            name: team.manager.name,
            slug: team.manager.slug,
            shortName: team.manager.shortName,
            country: renderCountry(team.manager.country),
            id: team.manager.id,
            fieldTranslations: fieldTranslations(team.manager.name, team.manager.shortName),
          },
        }
      : {}),
    ...(full && team.venue ? { venue: renderVenue(team.venue) } : {}),
    nameCode: team.nameCode,
    ...(!full || tennis ? { ranking: team.ranking } : {}),
    ...(full ? { class: tennis ? 0 : 1 } : {}),
    disabled: false,
    national: false,
    type: team.type,
    country: renderCountry(team.country),
    id: team.id,
    ...(full ? { fullName: team.name } : {}),
    ...(full && tennis ? { playerTeamInfo: renderPlayerTeamInfo(team) } : {}),
    subTeams: [],
    teamColors: { ...team.colours },
    ...(full && team.foundationDateTimestamp ? { foundationDateTimestamp: team.foundationDateTimestamp } : {}),
    fieldTranslations: fieldTranslations(team.name, team.shortName),
    ...(full ? { timeActive: [] } : {}),
  };
}

function renderPlayerTeamInfo(team: Team) {
  const tennis = team.tennis;
  if (!tennis) return {};
  const city = { name: tennis.birthCity.name, country: renderCountry(team.country), id: tennis.birthCity.id };
  const place = `${tennis.birthCity.name}, ${team.country.name}`;
  const prizeCurrent = Math.round(tennis.prizeTotalEur / 12);
  return {
    height: tennis.heightM,
    weight: tennis.weightKg,
    plays: tennis.plays,
    turnedPro: tennis.turnedPro,
    prizeCurrent,
    prizeTotal: tennis.prizeTotalEur,
    birthCity: city,
    residenceCity: city,
    id: team.id + 100_000,
    birthplace: place,
    birthDateTimestamp: tennis.birthDateTimestamp,
    underage: false,
    residence: place,
    prizeCurrentRaw: { value: prizeCurrent, currency: 'EUR' },
    prizeTotalRaw: { value: tennis.prizeTotalEur, currency: 'EUR' },
    currentRanking: team.ranking,
  };
}

/** A player as lineups and incidents embed one. */
export function renderPlayer(player: Player, options: { withCountry: boolean; withNames: boolean }) {
  return {
    name: player.name,
    ...(options.withNames ? { firstName: player.firstName, lastName: player.lastName } : {}),
    slug: player.slug,
    shortName: player.shortName,
    position: player.position,
    jerseyNumber: String(player.shirtNumber),
    height: player.height,
    userCount: player.userCount,
    gender: 'M',
    sofascoreId: player.slug.slice(0, 7),
    id: player.id,
    ...(options.withCountry ? { country: renderCountry(player.country) } : {}),
    marketValueCurrency: 'EUR',
    dateOfBirthTimestamp: player.dateOfBirthTimestamp,
    proposedMarketValueRaw: { value: player.marketValueEur, currency: 'EUR' },
    fieldTranslations: fieldTranslations(player.name, player.shortName),
  };
}

export function renderReferee(referee: Referee) {
  return {
    name: referee.name,
    slug: referee.slug,
    yellowCards: referee.yellowCards,
    redCards: referee.redCards,
    yellowRedCards: referee.yellowRedCards,
    games: referee.games,
    sport: renderSport('football'),
    id: referee.id,
    country: renderCountry(referee.country),
    fieldTranslations: fieldTranslations(referee.name),
  };
}
