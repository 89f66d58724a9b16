import { dirname, resolve } from 'node:path';

/**
 * The repository root. Derived from __filename: under tsx, __dirname reads 'data:text' when an ES module
 * script imports src/, and import.meta is off limits in src/ (tslab compiles it to CommonJS).
 */
export const REPO_ROOT = resolve(dirname(__filename), '../..');
export const repoPath = (...parts: string[]) => resolve(REPO_ROOT, ...parts);
