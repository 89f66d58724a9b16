// Language codes in manifests: BCP-47 primary codes (lower case, 2–3 letters) that Intl.DisplayNames knows.

let names: Intl.DisplayNames | undefined;
const known = new Set<string>();

/** English name of a primary language code, or undefined when ICU does not know it. */
export function languageName(code: string): string | undefined {
  names ??= new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });
  if (!/^[a-z]{2,3}$/.test(code)) return undefined;
  try {
    return names.of(code);
  } catch {
    return undefined;
  }
}

/** undefined when `code` is a usable language code, else the problem (one line, says what would fix it). */
export function languageCodeProblem(code: string): string | undefined {
  if (known.has(code)) return undefined;
  if (languageName(code)) {
    known.add(code);
    return undefined;
  }
  const primary = code.split(/[-_]/)[0]!.toLowerCase();
  if (primary !== code && languageName(primary)) return `'${code}' is not a primary language code; use '${primary}'`;
  return `unknown language '${code}'; use a BCP-47 primary code known to Intl.DisplayNames, e.g. en, de, zh, ja, th`;
}
