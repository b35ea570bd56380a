import { afterEach, describe, expect, it } from 'vitest';
import { armFailpoints, disarmFailpoints, FailpointSpecError, failpoint } from './failpoints.js';

describe('failpoints', () => {
  afterEach(() => disarmFailpoints());

  it('parses several points with their hits', () => {
    expect(armFailpoints('ratings.batch-before-commit=crash@2; publish.files-written=crash')).toEqual([
      'ratings.batch-before-commit',
      'publish.files-written',
    ]);
  });

  it('refuses unknown names, actions and hits, naming the entry', () => {
    expect(() => armFailpoints('ingest.nowhere=crash')).toThrow(/'ingest.nowhere' is unknown/);
    expect(() => armFailpoints('ingest.before-commit=hang')).toThrow(FailpointSpecError);
    expect(() => armFailpoints('ingest.before-commit=crash@0')).toThrow(/counts from 1/);
  });

  it('does nothing when unarmed', () => {
    expect(() => failpoint('publish.row-committed')).not.toThrow();
  });
});
