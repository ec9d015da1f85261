// Decoders built from the object's BTF: TypeScript never guesses a C layout. A tool
// names the struct (e.g. 'task_key') and the fields it reads; opening the
// layout fails loudly if a field is missing or is not what the TypeScript expects.
import type { NativeBtfType } from './native.js';

export type FieldValue = number | string | boolean | number[] | { [k: string]: FieldValue };

type Reader = (buf: Buffer, off: number) => FieldValue;

function u64(buf: Buffer, off: number): number {
  // Two 32-bit reads are much faster than readBigUInt64LE; exact up to 2^53.
  return buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * 0x100000000;
}

function s64(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off) + buf.readInt32LE(off + 4) * 0x100000000;
}

function readerFor(t: NativeBtfType): Reader {
  switch (t.kind) {
    case 'int':
    case 'enum': {
      const signed = t.signed;
      if (t.kind === 'int' && t.bool) return (b, o) => b.readUInt8(o) !== 0;
      switch (t.size) {
        case 1: return signed ? (b, o) => b.readInt8(o) : (b, o) => b.readUInt8(o);
        case 2: return signed ? (b, o) => b.readInt16LE(o) : (b, o) => b.readUInt16LE(o);
        case 4: return signed ? (b, o) => b.readInt32LE(o) : (b, o) => b.readUInt32LE(o);
        case 8: return signed ? s64 : u64;
        default: throw new Error(`unsupported integer size ${t.size}`);
      }
    }
    case 'ptr': return u64;
    case 'array': {
      const { elem, nelems } = t;
      if (elem.kind === 'int' && elem.size === 1 && (elem.char || elem.name === 'char')) {
        // char[N]: a NUL-terminated string.
        return (b, o) => {
          const end = b.indexOf(0, o);
          return b.toString('utf8', o, end < 0 || end > o + nelems ? o + nelems : end);
        };
      }
      const r = readerFor(elem);
      const step = elem.size;
      return (b, o) => Array.from({ length: nelems }, (_, i) => r(b, o + i * step) as number);
    }
    case 'struct':
    case 'union': {
      const l = new StructLayout(t);
      return (b, o) => l.decode(b, o);
    }
    default:
      throw new Error(`cannot decode BTF kind ${t.kind}`);
  }
}

/**
 * What TypeScript expects of a boundary struct's field, in C terms: 'u64', 's32', 'u8',
 * 'bool', 'char[16]', 'u64[296]'. Checked against the object's BTF when a session opens
 * and, without root, by test/unit/btf-layout.test.ts for every tool.
 */
export type FieldSpec = string;
export type StructSpec = Readonly<Record<string, FieldSpec>>;

/** A BTF type in FieldSpec terms. */
export function specOf(t: NativeBtfType): FieldSpec {
  switch (t.kind) {
    case 'int':
      if (t.bool) return 'bool';
      if (t.size === 1 && (t.char || t.name === 'char')) return 'char';
      return `${t.signed ? 's' : 'u'}${t.size * 8}`;
    case 'enum': return `${t.signed ? 's' : 'u'}${t.size * 8}`;
    case 'ptr': return 'ptr';
    case 'array': return `${specOf(t.elem)}[${t.nelems}]`;
    case 'struct':
    case 'union': return `${t.kind} ${t.name}`;
    default: return t.kind;
  }
}

export interface FieldInfo {
  name: string;
  offset: number;
  size: number;
  type: NativeBtfType;
}

/** A struct's layout as the compiled object's BTF has it, with a decoder. */
export class StructLayout<T = Record<string, FieldValue>> {
  readonly name: string;
  readonly size: number;
  readonly fields: FieldInfo[];
  private readonly readers: Array<[string, number, Reader]>;

  constructor(btf: NativeBtfType) {
    if (btf.kind !== 'struct' && btf.kind !== 'union') throw new Error(`not a struct: ${btf.kind}`);
    this.name = btf.name;
    this.size = btf.size;
    this.fields = btf.members.map((m) => {
      if (m.bitfieldSize) throw new Error(`${btf.name}.${m.name}: bitfields are not supported at the boundary`);
      return { name: m.name, offset: m.bitOffset / 8, size: m.type.size, type: m.type };
    });
    this.readers = this.fields
      .filter((f) => !f.name.startsWith('__pad'))
      .map((f) => [f.name, f.offset, readerFor(f.type)]);
  }

  field(name: string): FieldInfo {
    const f = this.fields.find((x) => x.name === name);
    if (!f) throw new Error(`struct ${this.name} has no field ${name}`);
    return f;
  }

  /** One field's decoder (a char[N] as its NUL-terminated string), at a struct's offset in a buffer. */
  fieldReader(name: string): (buf: Buffer, structOffset: number) => FieldValue {
    const f = this.field(name);
    const read = readerFor(f.type);
    return (buf, at) => read(buf, at + f.offset);
  }

  /** Throw unless every named field exists (call once at open, so drift fails early). */
  expect(names: readonly string[]): this {
    for (const n of names) this.field(n);
    return this;
  }

  /** Where the BTF differs from what TypeScript expects: missing fields, other types, implicit padding. */
  mismatches(spec: StructSpec): string[] {
    const out: string[] = [];
    for (const [name, want] of Object.entries(spec)) {
      const f = this.fields.find((x) => x.name === name);
      if (!f) out.push(`${this.name}.${name}: missing`);
      else if (specOf(f.type) !== want) out.push(`${this.name}.${name}: is ${specOf(f.type)}, TypeScript reads ${want}`);
    }
    // Padding is written out (style.md §2): each field starts where the previous ends.
    let end = 0;
    for (const f of this.fields) {
      if (f.offset !== end) out.push(`${this.name}.${f.name}: at offset ${f.offset}, but the fields before end at ${end}: implicit padding`);
      end = f.offset + f.size;
    }
    if (end !== this.size) out.push(`${this.name}: ${this.size} bytes, fields end at ${end}: implicit tail padding`);
    return out;
  }

  /** Throw unless the struct is what `spec` says (call once at open). */
  expectSpec(spec: StructSpec): this {
    const bad = this.mismatches(spec);
    if (bad.length) throw new Error(`the BPF object and huatuo disagree: ${bad.join('; ')}`);
    return this;
  }

  decode(buf: Buffer, offset = 0): T {
    const out: Record<string, FieldValue> = {};
    for (const [name, off, read] of this.readers) out[name] = read(buf, offset + off);
    return out as T;
  }

  /** Encode a (partial) value; absent fields are zero. Integers, bools and char[] only. */
  encode(values: Partial<Record<string, number | string | boolean>>): Buffer {
    const buf = Buffer.alloc(this.size);
    for (const [name, v] of Object.entries(values)) {
      if (v === undefined) continue;
      writeScalar(buf, this.field(name), v);
    }
    return buf;
  }
}

/** Write a JS value into a C field by its BTF type (shared by struct encoding and rodata). */
export function writeScalar(buf: Buffer, f: { name: string; offset: number; size: number; type?: NativeBtfType }, v: number | string | boolean | bigint | Uint8Array): void {
  if (v instanceof Uint8Array) {
    // Bytes for a byte array (an address): exactly its size.
    if (v.length > f.size) throw new Error(`${f.name}: ${v.length} bytes do not fit in ${f.size}`);
    buf.fill(0, f.offset, f.offset + f.size);
    buf.set(v, f.offset);
    return;
  }
  if (typeof v === 'string') {
    const bytes = Buffer.from(v, 'utf8');
    if (bytes.length >= f.size) throw new Error(`${f.name}: "${v}" does not fit in ${f.size} bytes`);
    buf.fill(0, f.offset, f.offset + f.size);
    bytes.copy(buf, f.offset);
    return;
  }
  const n = typeof v === 'boolean' ? (v ? 1 : 0) : v;
  switch (f.size) {
    case 1: buf.writeUInt8(Number(n) & 0xff, f.offset); break;
    case 2: buf.writeUInt16LE(Number(n) & 0xffff, f.offset); break;
    case 4: Number(n) < 0 ? buf.writeInt32LE(Number(n), f.offset) : buf.writeUInt32LE(Number(n), f.offset); break;
    case 8: buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(n)), f.offset); break;
    default: throw new Error(`${f.name}: cannot write a number into ${f.size} bytes`);
  }
}
