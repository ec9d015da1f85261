// A short, safe quote of untrusted input for an error line: binary files and terminal
// escapes must not reach the user's terminal, so anything but printable ASCII is \xNN.

/** At most `max` characters (default 40) of `input`, escaped, with "..." when cut. */
export function excerpt(input: string | Uint8Array, max = 40): string {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const parts: string[] = [];
  let length = 0;
  for (const b of bytes) {
    const part = b === 0x5c ? '\\\\' : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
    parts.push(part);
    length += part.length;
    if (length > max) break; // cut: no need to escape the rest
  }
  if (length <= max) return parts.join('');
  // Whole escapes only, and room for the "...".
  let kept = 0;
  let n = 0;
  while (n < parts.length && kept + parts[n].length <= max - 3) kept += parts[n++].length;
  return parts.slice(0, n).join('') + '...';
}
