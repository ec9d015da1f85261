import { describe, it, expect } from 'vitest';
import { byId, parseXml, textOf } from './xml-parser.js';

// The SVG tests lean on this parser; make sure it is as strict as it claims.
describe('test XML parser', () => {
  it('reads elements, attributes, entities, CDATA and comments', () => {
    const root = parseXml('<?xml version="1.0"?>\n<!-- c --><a xmlns:q="urn:x" q:k=\'v&amp;&#x263a;&#65;\'><b id="t">x &lt; y<![CDATA[<&>]]></b><c/></a>\n');
    expect(root.attrs['q:k']).toBe('v&☺A');
    expect(textOf(byId(root, 't'))).toBe('x < y<&>');
  });

  it('rejects what is not well-formed', () => {
    const bad = [
      '<a><b></a></b>', // nesting
      '<a>x & y</a>', // bare &
      '<a>&nbsp;</a>', // unknown entity
      '<a b="1" b="2"/>', // duplicate attribute
      '<a b="<"/>', // < in an attribute
      '<a>\u0001</a>', // illegal character
      '<a>&#0;</a>', // reference to an illegal character
      '<q:a/>', // undeclared prefix
      '<a/><b/>', // two roots
      '<a>', // unclosed
      '<a b=1/>', // unquoted
      '<a>]]></a>', // ]]> in text
    ];
    for (const xml of bad) expect(() => parseXml(xml), xml).toThrow();
  });
});
