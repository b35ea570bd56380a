import { QUALITY_CHECKS } from '@matchflow/config';
import { describe, expect, it } from 'vitest';
import { CHECKS } from './checks.js';

describe('quality checks', () => {
  it('are the ones the config lets users set a severity for, each once', () => {
    expect(CHECKS.map((check) => check.name)).toEqual([...QUALITY_CHECKS]);
  });
});
