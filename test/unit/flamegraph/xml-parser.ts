// A small strict XML 1.0 parser for the tests (no dependency): elements, attributes,
// character and the five predefined entity references, CDATA, comments, processing
// instructions. It throws on anything not well-formed — bad nesting, a raw `<` or `&`,
// duplicate attributes, characters XML cannot hold, undeclared namespace prefixes — and
// has no DOCTYPE support (the SVG writer emits none).
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

const NAME = /[A-Za-z_][A-Za-z0-9_.:-]*/y;
const ILLEGAL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function parseXml(input: string): XmlElement {
  const src = input.replace(/\r\n?/g, '\n');
  const bad = ILLEGAL.exec(src);
  if (bad) throw new Error(`illegal character U+${bad[0].charCodeAt(0).toString(16)} at ${bad.index}`);
  let i = 0;
  const fail = (why: string): never => {
    const line = src.slice(0, i).split('\n').length;
    throw new Error(`XML: ${why} at line ${line} (offset ${i}): ${JSON.stringify(src.slice(i, i + 40))}`);
  };
  const skipSpace = (): void => {
    while (i < src.length && ' \t\n'.includes(src[i])) i++;
  };
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(src);
    if (!m) fail('expected a name');
    i += m![0].length;
    return m![0];
  };
  const decode = (text: string): string => {
    if (text.includes('<')) fail('raw < in text or attribute');
    return text.replace(/&([^;\s&<]*);|&/g, (whole, ref: string | undefined) => {
      if (ref === undefined) return fail('bare &');
      if (ref in PREDEFINED) return PREDEFINED[ref];
      const m = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(ref);
      if (!m) return fail(`unknown entity &${ref};`);
      const cp = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2], 10);
      const ch = String.fromCodePoint(cp);
      if (ILLEGAL.test(ch) || (cp >= 0xd800 && cp <= 0xdfff) || cp === 0) fail(`reference to illegal character ${whole}`);
      return ch;
    });
  };
  const misc = (): void => {
    for (;;) {
      skipSpace();
      if (src.startsWith('<!--', i)) {
        const end = src.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        if (src.slice(i + 4, end).includes('--')) fail('-- inside a comment');
        i = end + 3;
      } else if (src.startsWith('<?', i)) {
        const end = src.indexOf('?>', i);
        if (end < 0) fail('unterminated processing instruction');
        i = end + 2;
      } else {
        return;
      }
    }
  };

  if (src.startsWith('<?xml', i)) {
    const end = src.indexOf('?>', i);
    if (end < 0 || !/^<\?xml\s+version="1\.[0-9]"/.test(src)) fail('bad XML declaration');
    i = end + 2;
  }
  misc();
  if (src.startsWith('<!DOCTYPE', i)) fail('DOCTYPE not supported');
  if (src[i] !== '<') fail('expected the root element');

  const scopes: Array<Map<string, string>> = [new Map([['xml', 'http://www.w3.org/XML/1998/namespace']])];
  const declared = (prefix: string): boolean => scopes.some((s) => s.has(prefix));
  const checkPrefix = (qname: string): void => {
    const c = qname.indexOf(':');
    if (c < 0) return;
    const prefix = qname.slice(0, c);
    if (prefix !== 'xmlns' && !declared(prefix)) fail(`undeclared namespace prefix ${prefix}`);
  };

  const element = (): XmlElement => {
    i++; // <
    const el: XmlElement = { name: name(), attrs: {}, children: [] };
    const scope = new Map<string, string>();
    for (;;) {
      const before = i;
      skipSpace();
      if (src.startsWith('/>', i) || src[i] === '>') break;
      if (i === before) fail('expected whitespace before an attribute');
      const key = name();
      skipSpace();
      if (src[i] !== '=') fail('expected =');
      i++;
      skipSpace();
      const q = src[i];
      if (q !== '"' && q !== "'") fail('expected a quoted value');
      const end = src.indexOf(q, i + 1);
      if (end < 0) fail('unterminated attribute value');
      if (key in el.attrs) fail(`duplicate attribute ${key}`);
      el.attrs[key] = decode(src.slice(i + 1, end).replace(/[\t\n]/g, ' '));
      if (key.startsWith('xmlns:')) scope.set(key.slice(6), el.attrs[key]);
      i = end + 1;
    }
    scopes.push(scope);
    checkPrefix(el.name);
    for (const key of Object.keys(el.attrs)) checkPrefix(key);
    if (src.startsWith('/>', i)) {
      i += 2;
      scopes.pop();
      return el;
    }
    i++; // >
    for (;;) {
      if (i >= src.length) fail(`unclosed <${el.name}>`);
      if (src.startsWith('</', i)) {
        i += 2;
        const closing = name();
        if (closing !== el.name) fail(`</${closing}> closes <${el.name}>`);
        skipSpace();
        if (src[i] !== '>') fail('expected >');
        i++;
        scopes.pop();
        return el;
      }
      if (src.startsWith('<![CDATA[', i)) {
        const end = src.indexOf(']]>', i);
        if (end < 0) fail('unterminated CDATA');
        el.children.push(src.slice(i + 9, end));
        i = end + 3;
      } else if (src.startsWith('<!--', i) || src.startsWith('<?', i)) {
        misc();
      } else if (src[i] === '<') {
        el.children.push(element());
      } else {
        const end = src.indexOf('<', i);
        const raw = src.slice(i, end < 0 ? src.length : end);
        if (raw.includes(']]>')) fail(']]> in text');
        el.children.push(decode(raw));
        i += raw.length;
      }
    }
  };

  const root = element();
  misc();
  if (i !== src.length) fail('content after the root element');
  return root;
}

export function isElement(n: XmlNode): n is XmlElement {
  return typeof n !== 'string';
}

export function textOf(n: XmlNode): string {
  return typeof n === 'string' ? n : n.children.map(textOf).join('');
}

export function elements(el: XmlElement, name?: string): XmlElement[] {
  return el.children.filter(isElement).filter((c) => name === undefined || c.name === name);
}

/** Depth-first search (iterative: graphs can be thousands of rows deep). */
export function findAll(root: XmlElement, pred: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = [];
  const todo = [root];
  while (todo.length) {
    const e = todo.pop()!;
    if (pred(e)) out.push(e);
    for (let k = e.children.length - 1; k >= 0; k--) {
      const c = e.children[k];
      if (isElement(c)) todo.push(c);
    }
  }
  return out;
}

export function byId(root: XmlElement, id: string): XmlElement {
  const found = findAll(root, (e) => e.attrs.id === id);
  if (found.length !== 1) throw new Error(`expected one #${id}, found ${found.length}`);
  return found[0];
}
