import { describe, expect, it } from 'vitest';
import { ContractViolation } from '../errors.js';
import { SOFASCORE_ENDPOINTS, SOFASCORE_PATHS } from './sofascore.js';
import { mapSofascorePlayer } from './sofascore-player.js';

/**
 * A trimmed copy of a real `GET /player/{id}` answer (Bukayo Saka), as quoted in
 * tommhe14/sofascore-wrapper `sofascore_wrapper/player.py` (`Player.get_player`): the team cut
 * to its identity, translations cut to one language; the profile keys exactly as recorded.
 */
function recordedPlayer() {
  return {
    player: {
      name: 'Bukayo Saka',
      firstName: '',
      lastName: '',
      slug: 'bukayo-saka',
      shortName: 'B. Saka',
      team: {
        name: 'Arsenal',
        slug: 'arsenal',
        shortName: 'Arsenal',
        gender: 'M',
        sport: { name: 'Football', slug: 'football', id: 1 },
        userCount: 2_341_486,
        nameCode: 'ARS',
        disabled: false,
        national: false,
        type: 0,
        id: 42,
        country: { alpha2: 'EN', alpha3: 'ENG', name: 'England', slug: 'england' },
        entityType: 'team',
        teamColors: { primary: '#cc0000', secondary: '#ffffff', text: '#ffffff' },
      },
      position: 'F',
      jerseyNumber: '7',
      height: 178,
      preferredFoot: 'Left',
      retired: false,
      userCount: 168_684,
      gender: 'M',
      id: 934_235,
      country: { alpha2: 'EN', alpha3: 'ENG', name: 'England', slug: 'england' },
      shirtNumber: 7,
      dateOfBirthTimestamp: 999_648_000,
      contractUntilTimestamp: 1_814_313_600,
      proposedMarketValue: 157_000_000,
      proposedMarketValueRaw: { value: 157_000_000, currency: 'EUR' },
      fieldTranslations: { nameTranslation: { ar: 'بوكايو ساكا' }, shortNameTranslation: { ar: 'ب. ساكا' } },
    } as Record<string, unknown>,
  };
}

const source = 'sofascore';

describe('mapSofascorePlayer', () => {
  it('maps a full profile', () => {
    expect(mapSofascorePlayer(recordedPlayer(), source)).toEqual({
      source,
      sourceId: '934235',
      name: 'Bukayo Saka',
      shortName: 'B. Saka',
      position: 'F',
      nationality: 'ENG',
      dateOfBirth: '2001-09-05',
      heightCm: 178,
      preferredFoot: 'left',
      shirtNumber: 7,
      teamSourceId: '42',
      marketValueEur: 157_000_000,
    });
  });

  it('maps an incomplete profile: what the upstream leaves out stays undefined', () => {
    const body = recordedPlayer();
    for (const key of ['position', 'height', 'preferredFoot', 'dateOfBirthTimestamp', 'country', 'team']) {
      delete body.player[key];
    }
    body.player.proposedMarketValueRaw = { value: 4_000_000, currency: 'USD' };
    expect(mapSofascorePlayer(body, source)).toEqual({
      source,
      sourceId: '934235',
      name: 'Bukayo Saka',
      shortName: 'B. Saka',
      position: undefined,
      nationality: undefined,
      dateOfBirth: undefined,
      heightCm: undefined,
      preferredFoot: undefined,
      shirtNumber: 7,
      teamSourceId: undefined,
      // Not in euros: left out rather than converted.
      marketValueEur: undefined,
    });
  });

  it('falls back to alpha-2, the jersey number and the bare market value when the better field is absent', () => {
    const body = recordedPlayer();
    body.player.country = { alpha2: 'dl', name: 'Demoland' };
    delete body.player.shirtNumber;
    delete body.player.proposedMarketValueRaw;
    body.player.position = '';
    expect(mapSofascorePlayer(body, source)).toMatchObject({
      nationality: 'DL',
      shirtNumber: 7,
      marketValueEur: 157_000_000,
      position: undefined,
    });
  });

  it('dates a birth before 1970 in UTC', () => {
    const body = recordedPlayer();
    body.player.dateOfBirthTimestamp = -86_400;
    expect(mapSofascorePlayer(body, source).dateOfBirth).toBe('1969-12-31');
  });

  it('rejects a malformed profile with a ContractViolation naming the path', () => {
    const body = recordedPlayer();
    body.player.height = '178 cm';
    body.player.preferredFoot = 'right';
    let error: unknown;
    try {
      mapSofascorePlayer(body, source);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ContractViolation);
    const violation = error as ContractViolation;
    expect(violation).toMatchObject({ source, endpoint: 'player', path: 'player.height', retryable: false });
    expect(violation.problems.map((problem) => problem.split(':')[0])).toEqual([
      'player.height',
      'player.preferredFoot',
    ]);
  });

  it('rejects a body without the player', () => {
    expect(() => mapSofascorePlayer({ error: { code: 404 } }, source)).toThrow(ContractViolation);
  });

  it('is reached at /player/{id}, recorded as endpoint `player`', () => {
    expect(SOFASCORE_PATHS.player('934235')).toBe('/player/934235');
    expect(SOFASCORE_ENDPOINTS.player).toBe('player');
  });
});
