// Frame colours: the hue family from the frame's kind, the shade from a hash of its name, so a
// function has the same colour in every render and every graph. Differential graphs colour
// by growth instead.
import type { LabelKind } from './frame.js';

/** Fill of frames a search matched. */
export const HIGHLIGHT = 'rgb(230,0,230)';

/** FNV-1a over UTF-16 code units, 32 bits. */
export function nameHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function rgb(r: number, g: number, b: number): string {
  return `rgb(${Math.round(r)},${Math.round(g)},${Math.round(b)})`;
}

/** Per kind: the [min, max] of red, green and blue. */
const PALETTE: Record<LabelKind, [number, number, number, number, number, number]> = {
  user: [200, 255, 20, 225, 0, 50], // warm: reds and yellows (green skips the kernel's band)
  kernel: [230, 255, 115, 165, 0, 30], // orange
  jit: [50, 120, 180, 240, 50, 110], // green
  inline: [50, 110, 170, 230, 180, 240], // aqua
};

/** The fill of a frame named `name` (suffix already stripped) of kind `kind`. */
export function frameFill(name: string, kind: LabelKind): string {
  const h = nameHash(name);
  // Three shades in [0, 1) from different bits; green (red→yellow in the warm palette) takes
  // the top byte, the most mixed by FNV's last multiply.
  const a = (h >>> 24) / 256;
  const b = ((h >>> 12) & 0xfff) / 4096;
  const c = (h & 0xfff) / 4096;
  const [r0, r1, g0, g1, b0, b1] = PALETTE[kind];
  // Native user frames are red (green 20–95) or yellow (green 165–225), never the orange
  // of kernel frames in between.
  const g = kind === 'user' ? (a < 0.5 ? g0 + 150 * a : 165 + 120 * (a - 0.5)) : g0 + (g1 - g0) * a;
  return rgb(r0 + (r1 - r0) * c, g, b0 + (b1 - b0) * b);
}

/**
 * Differential fill: red when the frame grew, blue when it shrank, pale grey when it did not
 * change; the saturation is |delta| / maxAbsDelta.
 */
export function diffFill(delta: number, maxAbsDelta: number): string {
  if (delta === 0 || maxAbsDelta === 0) return 'rgb(235,235,235)';
  const t = Math.min(1, Math.abs(delta) / maxAbsDelta);
  const v = 220 * (1 - t);
  return delta > 0 ? rgb(255, v, v) : rgb(v, v, 255);
}
