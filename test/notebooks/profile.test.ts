import { afterEach, describe, expect, it } from 'vitest';
import { byProfile, profile } from '../../src/notebook/profile';

const saved = process.env.UNIR_PROFILE;
afterEach(() => (saved === undefined ? delete process.env.UNIR_PROFILE : (process.env.UNIR_PROFILE = saved)));

describe('profile', () => {
  it('is full for people, ci when CI says so, and refuses anything else', () => {
    delete process.env.UNIR_PROFILE;
    expect(profile()).toBe('full');
    expect(byProfile({ ci: 4, full: 600 })).toBe(600);
    process.env.UNIR_PROFILE = 'CI';
    expect(profile()).toBe('ci');
    expect(byProfile({ ci: 4, full: 600 })).toBe(4);
    process.env.UNIR_PROFILE = 'fast';
    expect(() => profile()).toThrow("UNIR_PROFILE='fast': use ci or full");
  });
});
