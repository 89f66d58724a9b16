import { describe, expect, it } from 'vitest';
import { parseFlags } from '../../src/cli/command';

const OPTIONS = {
  k: { type: 'string' },
  sql: { type: 'string' },
  json: { type: 'boolean' },
  set: { type: 'string', multiple: true },
} as const;
const parse = (...argv: string[]) => parseFlags('search', argv, OPTIONS).values;
const errorOf = (...argv: string[]) => {
  try {
    parse(...argv);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`parsed: ${argv.join(' ')}`);
};

describe('parseFlags: a value that starts with a dash', () => {
  it("belongs to the string flag before it, so the command's own check answers (not 'argument is ambiguous')", () => {
    expect(parse('--k', '-3')).toEqual({ k: '-3' });
    expect(parse('--sql', '-- a comment\nSELECT 1')).toEqual({ sql: '-- a comment\nSELECT 1' });
    expect(parse('--set', '-x=1', '--set', 'a=-2')).toEqual({ set: ['-x=1', 'a=-2'] });
    expect(parse('--k=-3', '--json')).toEqual({ k: '-3', json: true });
  });

  it("unless it is one of the command's flags: then the flag before it has no value, said in one line", () => {
    expect(errorOf('--k', '--json')).toBe("unir search: --k needs a value; write --k VALUE. See 'unir search --help'.");
    expect(errorOf('--k')).toBe("unir search: Option '--k <value>' argument missing. See 'unir search --help'.");
    expect(errorOf('--kk', '3')).toMatch(/^unir search: Unknown option '--kk'/);
  });

  it("leaves everything after '--' alone", () => {
    expect(parseFlags('search', ['--k', '2', '--', '--json'], OPTIONS)).toMatchObject({
      values: { k: '2' },
      positionals: ['--json'],
    });
  });
});
