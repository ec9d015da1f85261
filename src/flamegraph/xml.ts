// Small text helpers for the SVG: XML escaping, numbers, and labels cut to fit a frame.

// Characters XML 1.0 cannot hold (C0 controls but tab/LF/CR, U+FFFE/U+FFFF, unpaired
// surrogates) and the ones markup needs escaped. Tab, LF and CR become character references
// so a parser neither normalizes nor drops them.
const NEEDS_WORK = /[&<>"'\u0000-\u001f\ud800-\udfff\ufffe\uffff]/;
const REPLACE = /[&<>"']|[\t\n\r]|[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const ENTITY: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;',
};

/** Escape text for XML content or a double- or single-quoted attribute. */
export function escapeXml(s: string): string {
  if (!NEEDS_WORK.test(s)) return s;
  return s.replace(REPLACE, (c) => ENTITY[c] ?? '\ufffd');
}

/** A coordinate: at most 3 decimals, no trailing zeros (the script writes the same form). */
export function num(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

/**
 * 1234567 → "1,234,567", the same in every locale (renders must be byte-identical);
 * a fractional count keeps two decimals at most (1234.5 → "1,234.5").
 */
export function commas(n: number): string {
  const s = Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100);
  const dot = s.indexOf('.');
  const whole = dot < 0 ? s : s.slice(0, dot);
  return (whole.length <= 3 ? whole : whole.replace(/\B(?=(\d{3})+$)/g, ',')) + (dot < 0 ? '' : s.slice(dot));
}

/** Percent with two decimals. */
export function pct(part: number, whole: number): string {
  return ((100 * part) / whole).toFixed(2);
}

/** Space left of a label inside its frame, px. */
export const LABEL_INSET = 3;

/**
 * The label that fits a frame `width` px wide: the whole name, or its first characters and
 * `..`, or nothing when fewer than 3 characters fit. Characters are code points (an emoji is
 * not cut in half). The embedded script does exactly this when zooming.
 */
export function fitLabel(name: string, width: number, charWidth: number): string {
  const max = Math.floor((width - LABEL_INSET) / charWidth);
  if (max < 3) return '';
  if (name.length <= max) return name;
  const points = Array.from(name);
  if (points.length <= max) return name;
  return points.slice(0, max - 2).join('') + '..';
}
