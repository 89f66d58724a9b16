import os from 'node:os';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { disposeBackend, initBackend } from '../../../src/core/backend';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});
afterAll(disposeBackend);

describe('UNIR_WASM_THREADS above the core count', () => {
  it('warns once, naming the variable, the cores and the fix (the thread count itself is resolved before any backend starts)', async () => {
    const cores = os.availableParallelism();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    vi.stubEnv('UNIR_WASM_THREADS', String(cores));
    await initBackend({ backend: 'cpu', quiet: true });
    expect(warn).not.toHaveBeenCalled(); // exactly the core count is fine
    vi.stubEnv('UNIR_WASM_THREADS', '999');
    await initBackend({ backend: 'cpu', quiet: true });
    await initBackend({ backend: 'cpu', quiet: true });
    expect(warn.mock.calls).toEqual([
      [
        `unir: UNIR_WASM_THREADS=999 is more than this machine's ${cores} core${cores === 1 ? '' : 's'} (and wasm uses at most 8): ` +
          `threads beyond the cores make every step slower; set UNIR_WASM_THREADS=${cores} or leave it unset`,
      ],
    ]);
  });
});
