/** How much work a notebook does: 'ci' = tiny configs that finish in seconds, 'full' = the real thing. */
export type Profile = 'ci' | 'full';

/** $UNIR_PROFILE (ci | full); people get 'full' by default, CI sets UNIR_PROFILE=ci. */
export function profile(): Profile {
  const p = (process.env.UNIR_PROFILE ?? 'full').trim().toLowerCase();
  if (p !== 'ci' && p !== 'full') throw new Error(`UNIR_PROFILE='${process.env.UNIR_PROFILE}': use ci or full`);
  return p;
}

/** The value for the current profile: `byProfile({ ci: 4, full: 600 })`. */
export function byProfile<T>(v: { ci: T; full: T }): T {
  return v[profile()];
}
