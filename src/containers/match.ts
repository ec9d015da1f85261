// Name matching for --pod/--container: globs with * and ?, and the close matches an
// error message offers when nothing matched.

export function isGlob(s: string): boolean {
  return /[*?]/.test(s);
}

/** Exact match, or a glob (* any run, ? one character) matched against the whole name. */
export function globMatcher(pattern: string): (name: string | undefined) => boolean {
  if (!isGlob(pattern)) return (name) => name === pattern;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return (name) => name !== undefined && re.test(name);
}

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The names close to what was asked for: a few edits away, or one containing the other
 * (glob characters ignored). Closest first, at most `max`.
 */
export function closeMatches<T>(wanted: string, items: T[], nameOf: (t: T) => string, max = 5): T[] {
  const w = wanted.replace(/[*?]/g, '');
  if (!w) return [];
  const limit = Math.max(2, Math.floor(w.length / 4));
  const scored: Array<[number, T]> = [];
  for (const t of items) {
    const n = nameOf(t);
    const d = editDistance(w, n);
    if (d <= limit) scored.push([d, t]);
    else if (w.length >= 3 && n.length >= 3 && (n.includes(w) || w.includes(n))) scored.push([limit + 1 + Math.abs(n.length - w.length), t]);
  }
  return scored.sort((a, b) => a[0] - b[0] || nameOf(a[1]).localeCompare(nameOf(b[1]))).slice(0, max).map(([, t]) => t);
}
