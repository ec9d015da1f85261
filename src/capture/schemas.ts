// The JSON schemas of every record huatuo writes (docs/schemas/*.schema.json), checked with
// ajv. Loaded on first use only: `huatuo report` needs them, the live tools do not.
// Errors come back as one line naming the first bad field: `data.samples[3].frames: must be an array`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { packagePath } from '../paths.js';
import { excerpt } from '../model/excerpt.js';

/** Found from src/ and dist/ alike: the package root, not the working directory. */
export const SCHEMA_DIR = packagePath('docs', 'schemas');

/** Checks a value; returns null, or the first problem as `path: message`. */
export type Validator = (value: unknown) => string | null;

let loaded: Promise<Map<string, ValidateFunction>> | undefined;

async function compileAll(): Promise<Map<string, ValidateFunction>> {
  // ajv is CommonJS: its class is the module's default export's default.
  const mod = await import('ajv/dist/2020.js');
  const Ajv2020 = mod.default.default ?? mod.default;
  // strictRequired off: if/then blocks require fields their parent schema declares.
  const ajv = new Ajv2020({ allErrors: false, strict: true, strictRequired: false });
  const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json')).sort();
  for (const f of files) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8')) as object);
  return new Map(files.map((f) => [f, ajv.getSchema(f)!]));
}

/** The validator of docs/schemas/<name> (e.g. "capture.schema.json"). */
export async function schemaValidator(name: string): Promise<Validator> {
  loaded ??= compileAll();
  const validate = (await loaded).get(name);
  if (!validate) throw new Error(`no schema ${name} in ${SCHEMA_DIR}`);
  return (value) => (validate(value) ? null : describeError(validate.errors![0], value));
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A JSON pointer as one would write it in JavaScript: data.samples[3].frames. */
function fieldPath(pointer: string, value: unknown): { path: string; at: unknown } {
  let path = '';
  let at = value;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(at)) path += `[${key}]`;
    else path += IDENTIFIER.test(key) ? `${path ? '.' : ''}${key}` : `[${JSON.stringify(excerpt(key, 30))}]`;
    at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  }
  return { path, at };
}

function join2(path: string, key: string): string {
  return IDENTIFIER.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(excerpt(key, 30))}]`;
}

const TYPE_NAMES: Record<string, string> = {
  integer: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false',
  object: 'an object', array: 'an array', null: 'null',
};

/** What a value is, for "(got …)": its type, never its content (it may be anything). */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return Number.isInteger(v) ? `${v}` : `${v}`.slice(0, 24);
  if (typeof v === 'boolean') return String(v);
  return typeof v === 'object' ? 'an object' : typeof v === 'string' ? 'a string' : typeof v;
}

function literal(v: unknown): string {
  return v === null ? 'null' : typeof v === 'string' ? `"${excerpt(v, 30)}"` : String(v);
}

function describeError(e: ErrorObject, value: unknown): string {
  const { path, at } = fieldPath(e.instancePath, value);
  const p = e.params as Record<string, unknown>;
  const here = (msg: string) => `${path || '(top level)'}: ${msg}`;
  switch (e.keyword) {
    case 'type': {
      const types = (Array.isArray(p.type) ? p.type : String(p.type).split(',')) as string[];
      return here(`must be ${types.map((t) => TYPE_NAMES[t] ?? t).join(' or ')} (got ${kindOf(at)})`);
    }
    case 'required':
      return `${join2(path, String(p.missingProperty))}: is missing`;
    case 'additionalProperties':
      return `${join2(path, String(p.additionalProperty))}: is not a field of this record`;
    case 'false schema':
      return here('is not allowed here');
    case 'const':
      return here(`must be ${literal(p.allowedValue)}`);
    case 'enum':
      return here(`must be one of ${(p.allowedValues as unknown[]).map(literal).join(', ')}`);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return here(`must be ${String(p.comparison).replace('>=', '≥').replace('<=', '≤')} ${String(p.limit)} (got ${kindOf(at)})`);
    case 'minItems':
    case 'maxItems':
      return here(`must have ${e.keyword === 'minItems' ? 'at least' : 'at most'} ${String(p.limit)} items`);
    case 'minLength':
      return here('must not be empty');
    case 'pattern':
      return here(e.schemaPath.includes('/time/') ? 'must be an ISO 8601 time such as 2024-05-01T12:00:00.000Z' : 'has the wrong form');
    default:
      return here(e.message ?? 'is not valid');
  }
}
