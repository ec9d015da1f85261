// A short, safe quote of untrusted input for an error line: binary files and terminal
// escapes must not reach the user's terminal, so anything but printable ASCII is \xNN.

/** At most `max` characters (default 40) of `input`, escaped, with "..." when cut. */
export function excerpt(input: string | Uint8Array, max = 40): string {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    const part = b === 0x5c ? '\\\\' : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
    // Keep room for the "..." unless this is the last byte.
    const room = i === bytes.length - 1 ? max : max - 3;
    if (length + part.length > room) return parts.join('') + '...';
    parts.push(part);
    length += part.length;
  }
  return parts.join('');
}
