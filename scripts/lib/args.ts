/**
 * Minimal `--key value` / `--flag` parser for the scripts. Unknown keys are an error that lists
 * the known ones, so a typo never silently falls back to a default.
 */
export function parseArgs<T extends Record<string, string>>(argv: string[], defaults: T, flags: string[] = []): T & Record<string, string> {
  const out: Record<string, string> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`Unexpected argument "${a}". Options: ${[...Object.keys(defaults), ...flags].map((k) => `--${k}`).join(' ')}`);
    const key = a.slice(2);
    if (flags.includes(key)) {
      out[key] = 'true';
    } else if (key in defaults) {
      const value = argv[++i];
      if (value === undefined) throw new Error(`Option --${key} needs a value`);
      out[key] = value;
    } else {
      throw new Error(`Unknown option --${key}. Options: ${[...Object.keys(defaults), ...flags].map((k) => `--${k}`).join(' ')}`);
    }
  }
  return out as T & Record<string, string>;
}

/** `--pairs left/right,circle/square` → [['left', 'right'], ['circle', 'square']]; `option` names the flag in errors. */
export function parseWordPairs(list: string, option: string): [string, string][] {
  const pairs = list.split(',').filter((pair) => pair.trim() !== '');
  if (pairs.length === 0) throw new Error(`${option} is required, e.g. ${option} left/right,circle/square`);
  return pairs.map((pair) => {
    const words = pair.split('/').map((w) => w.trim());
    if (words.length !== 2 || words.some((w) => w === '')) throw new Error(`${option}: "${pair}" must be two words joined by "/", e.g. left/right`);
    return words as [string, string];
  });
}
