// Reading a capture back (`huatuo report`): parse, check it against its schema, naming the
// first bad field, and bring older versions up to this one, so the rest of huatuo sees
// only the current shape. Every message is one line and quotes no raw input.
import { HuatuoError, ExitCode } from '../errors.js';
import { excerpt } from '../model/excerpt.js';
import { CAPTURE_FORMAT, CAPTURE_VERSION, type Capture } from './capture.js';
import { kindOf, schemaValidator } from './schemas.js';
import { profileDataFromV1 } from '../profile/capture.js';

/** Whether text is meant as JSON (a capture) rather than collapsed stacks: `{"` or `{}` first. */
export function looksLikeJson(text: string): boolean {
  return /^\s*\{\s*["}]/.test(text);
}

function lineColumn(text: string, at: number): string {
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return `line ${line}, column ${at - before.lastIndexOf('\n')}`;
}

/**
 * Where JSON.parse gives up, found by bisecting on prefixes: a prefix before the fault only
 * "ends early" (fails at its very end, or parses); one that reaches it fails inside. V8's own messages quote
 * the input, which may be binary, and often give no position.
 */
function faultAt(text: string): number {
  const endsEarly = (k: number): boolean => {
    try {
      JSON.parse(text.slice(0, k));
      return true;
    } catch (e) {
      const msg = (e as Error).message;
      const pos = /at position (\d+)/.exec(msg);
      return /Unexpected end of JSON input/.test(msg) || (pos !== null && Number(pos[1]) >= k);
    }
  };
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (endsEarly(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo; // the longest harmless prefix: the fault is the character at lo
}

function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const at = faultAt(text);
    if (at >= text.trimEnd().length) throw new HuatuoError(`${name}: truncated: the JSON ends before it is complete`, ExitCode.Runtime);
    throw new HuatuoError(`${name}: not valid JSON at ${lineColumn(text, at)}: "${excerpt(text.slice(at, at + 20), 24)}"`, ExitCode.Runtime);
  }
}

const LABELS = ['namespace', 'pod', 'container', 'container_id', 'cgroup'];

/** Version 1 → 2: profile samples renamed (profile/capture.ts); latency rows' "-" → null. */
function upgradeFromV1(c: Capture): Capture {
  if (c.tool === 'profile') return { ...c, version: 2, data: profileDataFromV1(c.data as Record<string, unknown>) };
  const data = c.data as { intervals?: Array<{ rows: Array<Record<string, unknown>> }>; summary?: { rows: Array<Record<string, unknown>> } };
  for (const rec of [...(data.intervals ?? []), ...(data.summary ? [data.summary] : [])]) {
    for (const row of rec.rows) for (const k of LABELS) if (row[k] === '-') row[k] = null;
  }
  return { ...c, version: 2 };
}

/** A capture from its text; `name` (the file, or stdin) starts every message. */
export async function parseCapture(text: string, name: string): Promise<Capture> {
  const c = parseJson(text, name) as Partial<Capture> | null;
  if (c === null || typeof c !== 'object' || Array.isArray(c) || c.format !== CAPTURE_FORMAT) {
    throw new HuatuoError(`${name}: not a huatuo capture (no "format": "${CAPTURE_FORMAT}")`, ExitCode.Runtime);
  }
  // The version decides the schema: check it first, and say plainly when it is too new
  // (the schema would only call the new fields unknown).
  if (!Number.isInteger(c.version)) {
    throw new HuatuoError(`${name}: version: ${c.version === undefined ? 'is missing' : `must be an integer (got ${kindOf(c.version)})`}`, ExitCode.Runtime);
  }
  if ((c.version as number) > CAPTURE_VERSION) {
    throw new HuatuoError(`${name}: capture version ${c.version} is newer than this huatuo reads (1 to ${CAPTURE_VERSION}): use a newer huatuo`, ExitCode.Runtime);
  }
  const problem = (await schemaValidator('capture.schema.json'))(c);
  if (problem) throw new HuatuoError(`${name}: ${problem}`, ExitCode.Runtime);
  const capture = c as Capture;
  return capture.version === 1 ? upgradeFromV1(capture) : capture;
}
