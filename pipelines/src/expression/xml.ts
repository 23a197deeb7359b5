/**
 * XML for `xml()`, `xpath()` and `json(<xml>)`: parsing (@xmldom/xmldom), XPath 1.0 (the
 * `xpath` package: the XPath version .NET's XPathNavigator implements, which the service
 * uses), and the two conversions the service makes with Newtonsoft.Json's XML converter:
 *
 *   XML → JSON (`json(xml(…))`, JsonConvert.SerializeXmlNode): an element becomes a property
 *   named after it; an element with only text becomes that string, an empty element null;
 *   attributes become `@name` properties, text beside attributes or elements `#text`, CDATA
 *   `#cdata-section`; siblings of the same name become an array; the XML declaration becomes
 *   `"?xml": {"@version": "1.0", …}`. Every value is a string. Comments are dropped.
 *
 *   JSON → XML (`xml(<object>)`, JsonConvert.DeserializeXmlNode): the object must have one
 *   root property (besides `?xml`); a property becomes an element (an array: one element per
 *   item), `@name` an attribute, `#text` text, a number or Boolean its text, null an empty element.
 *
 * Parsing drops whitespace-only text between elements (XmlDocument's default,
 * PreserveWhitespace = false), and the XML text of a value is written as .NET's `OuterXml`
 * writes it: no added whitespace, `<a />` for an element without content, and the namespace
 * declarations a node needs when it is written on its own (`<location xmlns="…">Paris</location>`).
 */
import { DOMParser, DOMImplementation, type Document, type Element, type Node as XmlNode } from '@xmldom/xmldom';
import * as xpathLib from 'xpath';

/** An XML value of the expression language: a document from `xml()`, or a node of one from `xpath()`. */
export class XmlValue {
  constructor(readonly node: XmlNode) {}
  /** The XML text, as .NET's OuterXml. */
  text(): string {
    return outerXml(this.node, new Map([['', '']]));
  }
}

/** Why XML could not be parsed, converted or queried (the caller turns it into an expression error). */
export class XmlError extends Error {}

const ELEMENT = 1;
const ATTRIBUTE = 2;
const TEXT = 3;
const CDATA = 4;
const PROCESSING_INSTRUCTION = 7;
const COMMENT = 8;
const DOCUMENT = 9;
const DOCUMENT_TYPE = 10;

const XMLNS = 'http://www.w3.org/2000/xmlns/';

/** Parses XML text; whitespace-only text between elements is dropped. */
export function parseXml(text: string): XmlValue {
  const errors: string[] = [];
  let doc: Document;
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') errors.push(message);
      },
    }).parseFromString(text, 'text/xml');
  } catch (e) {
    throw new XmlError(errors[0] ?? (e as Error).message.split('\n')[0] ?? 'not well-formed XML');
  }
  if (errors.length > 0) throw new XmlError(errors[0] as string);
  if (doc.documentElement === null) throw new XmlError('no root element');
  dropWhitespace(doc);
  return new XmlValue(doc);
}

function dropWhitespace(n: XmlNode): void {
  for (let c = n.firstChild; c !== null; ) {
    const next = c.nextSibling;
    if (c.nodeType === TEXT && /^[ \t\r\n]*$/.test(c.nodeValue ?? '')) n.removeChild(c);
    else if (c.nodeType === ELEMENT) dropWhitespace(c);
    c = next;
  }
  // a whitespace-only element content (e.g. `<a> </a>`) stays dropped too, as XmlDocument does
}

const escText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escAttr = (s: string): string => escText(s).replace(/"/g, '&quot;');

/** .NET OuterXml of a node; `scope` maps the prefixes declared around it to their namespace. */
function outerXml(n: XmlNode, scope: Map<string, string>): string {
  switch (n.nodeType) {
    case DOCUMENT: {
      let s = '';
      for (let c = n.firstChild; c !== null; c = c.nextSibling) s += outerXml(c, scope);
      return s;
    }
    case ELEMENT: {
      const el = n as Element;
      const inner = new Map(scope);
      let attrs = '';
      const declared: string[] = [];
      for (let i = 0; i < el.attributes.length; i++) {
        const a = el.attributes.item(i);
        if (a === null) continue;
        if (a.namespaceURI === XMLNS || a.name === 'xmlns' || a.name.startsWith('xmlns:')) {
          const prefix = a.name === 'xmlns' ? '' : a.name.slice('xmlns:'.length);
          inner.set(prefix, a.value);
          declared.push(prefix);
        }
        attrs += ` ${a.name}="${escAttr(a.value)}"`;
      }
      const need = (prefix: string, ns: string): void => {
        if (inner.get(prefix) !== ns && !(prefix === 'xml')) {
          inner.set(prefix, ns);
          attrs += ` ${prefix === '' ? 'xmlns' : `xmlns:${prefix}`}="${escAttr(ns)}"`;
        }
      };
      need(el.prefix ?? '', el.namespaceURI ?? '');
      for (let i = 0; i < el.attributes.length; i++) {
        const a = el.attributes.item(i);
        if (a?.prefix && a.prefix !== 'xmlns' && a.namespaceURI) need(a.prefix, a.namespaceURI);
      }
      if (el.firstChild === null) return `<${el.tagName}${attrs} />`;
      let body = '';
      for (let c: XmlNode | null = el.firstChild; c !== null; c = c.nextSibling) body += outerXml(c, inner);
      return `<${el.tagName}${attrs}>${body}</${el.tagName}>`;
    }
    case ATTRIBUTE:
      return n.nodeValue ?? '';
    case TEXT:
      return escText(n.nodeValue ?? '');
    case CDATA:
      return `<![CDATA[${n.nodeValue ?? ''}]]>`;
    case COMMENT:
      return `<!--${n.nodeValue ?? ''}-->`;
    case PROCESSING_INSTRUCTION:
      return `<?${n.nodeName}${n.nodeValue ? ` ${n.nodeValue}` : ''}?>`;
    case DOCUMENT_TYPE:
      return `<!DOCTYPE ${n.nodeName}>`;
    default:
      return '';
  }
}

type JsonOut = null | string | JsonOut[] | { [k: string]: JsonOut };

/** The pseudo-attributes of an XML declaration: `version="1.0" encoding="utf-8"`. */
function declarationAttributes(data: string): { [k: string]: JsonOut } {
  const out: { [k: string]: JsonOut } = {};
  for (const m of data.matchAll(/([A-Za-z]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) out[`@${m[1]}`] = m[2] ?? m[3] ?? '';
  return out;
}

function propertyName(n: XmlNode): string | undefined {
  switch (n.nodeType) {
    case ELEMENT:
      return (n as Element).tagName;
    case TEXT:
      return '#text';
    case CDATA:
      return '#cdata-section';
    case PROCESSING_INSTRUCTION:
      return n.nodeName === 'xml' ? '?xml' : `?${n.nodeName}`;
    case DOCUMENT_TYPE:
      return '!DOCTYPE';
    default:
      return undefined; // comments are dropped
  }
}

function nodeJson(n: XmlNode): JsonOut {
  switch (n.nodeType) {
    case ELEMENT: {
      const el = n as Element;
      const children: XmlNode[] = [];
      for (let c = el.firstChild; c !== null; c = c.nextSibling) if (propertyName(c) !== undefined) children.push(c);
      if (el.attributes.length === 0 && children.length === 1 && children[0]?.nodeType === TEXT) return children[0].nodeValue ?? '';
      if (el.attributes.length === 0 && children.length === 0) return null;
      const out: { [k: string]: JsonOut } = {};
      for (let i = 0; i < el.attributes.length; i++) {
        const a = el.attributes.item(i);
        if (a !== null) out[`@${a.name}`] = a.value;
      }
      groupChildren(children, out);
      return out;
    }
    case PROCESSING_INSTRUCTION:
      return n.nodeName === 'xml' ? declarationAttributes(n.nodeValue ?? '') : (n.nodeValue ?? '');
    case DOCUMENT_TYPE:
      return { '@name': n.nodeName };
    default:
      return n.nodeValue ?? '';
  }
}

/** Children grouped by name in order of first appearance: one → a property, several → an array. */
function groupChildren(children: readonly XmlNode[], out: { [k: string]: JsonOut }): void {
  const groups = new Map<string, XmlNode[]>();
  for (const c of children) {
    const name = propertyName(c) as string;
    const g = groups.get(name);
    if (g === undefined) groups.set(name, [c]);
    else g.push(c);
  }
  for (const [name, nodes] of groups) out[name] = nodes.length === 1 ? nodeJson(nodes[0] as XmlNode) : nodes.map((x) => nodeJson(x));
}

/** `json(<xml>)`: an XML value as JSON (Newtonsoft.Json's SerializeXmlNode rules, see above). */
export function xmlToJson(x: XmlValue): { [k: string]: JsonOut } | string {
  const n = x.node;
  if (n.nodeType === ATTRIBUTE || n.nodeType === TEXT || n.nodeType === CDATA) return n.nodeValue ?? '';
  const out: { [k: string]: JsonOut } = {};
  if (n.nodeType === DOCUMENT) {
    const children: XmlNode[] = [];
    for (let c = n.firstChild; c !== null; c = c.nextSibling) if (propertyName(c) !== undefined) children.push(c);
    groupChildren(children, out);
  } else groupChildren([n], out);
  return out;
}

/** A JSON value for `jsonToXml`; `scalar` renders numbers and Booleans as the service does. */
export type JsonIn = unknown;

/** `xml(<object>)`: a JSON object with one root property as an XML document (DeserializeXmlNode rules). */
export function jsonToXml(root: { readonly [k: string]: JsonIn }, scalar: (v: JsonIn) => string | undefined, isObj: (v: JsonIn) => boolean): XmlValue {
  const doc = new DOMImplementation().createDocument(null, '');
  const keys = Object.keys(root).filter((k) => k !== '?xml');
  if (keys.length !== 1)
    throw new XmlError(
      keys.length === 0
        ? 'the JSON object has no root property'
        : `the JSON object has ${keys.length} root properties (${keys.join(', ')}); XML needs exactly one root element`,
    );
  const decl = root['?xml'];
  if (decl !== undefined) {
    const d = isObj(decl) ? (decl as { [k: string]: JsonIn }) : {};
    const parts = ['version', 'encoding', 'standalone'].filter((a) => d[`@${a}`] !== undefined).map((a) => `${a}="${scalar(d[`@${a}`]) ?? ''}"`);
    doc.appendChild(doc.createProcessingInstruction('xml', parts.join(' ')));
  }
  const rootName = keys[0] as string;
  const rootValue = root[rootName];
  if (Array.isArray(rootValue)) throw new XmlError(`the root property '${rootName}' is an array; XML needs exactly one root element`);
  const create = (parent: XmlNode, name: string, v: JsonIn): void => {
    if (Array.isArray(v)) {
      for (const item of v) {
        if (Array.isArray(item)) throw new XmlError(`'${name}' holds an array inside an array, which XML cannot express`);
        create(parent, name, item);
      }
      return;
    }
    let el: Element;
    try {
      el = doc.createElement(name);
    } catch {
      throw new XmlError(`'${name}' is not a valid XML element name`);
    }
    parent.appendChild(el);
    fill(el, v);
  };
  const fill = (el: Element, v: JsonIn): void => {
    if (v === null || v === undefined) return;
    if (isObj(v)) {
      for (const [k, x] of Object.entries(v as { [k: string]: JsonIn })) {
        if (k.startsWith('@')) el.setAttribute(k.slice(1), scalar(x) ?? '');
        else if (k === '#text') el.appendChild(doc.createTextNode(scalar(x) ?? ''));
        else if (k === '#cdata-section') el.appendChild(doc.createCDATASection(scalar(x) ?? ''));
        else if (k === '#comment') el.appendChild(doc.createComment(scalar(x) ?? ''));
        else if (!k.startsWith('$')) create(el, k, x);
      }
      return;
    }
    const s = scalar(v);
    if (s === undefined) throw new XmlError('a value that is not JSON cannot become XML');
    el.appendChild(doc.createTextNode(s));
  };
  create(doc, rootName, rootValue);
  return new XmlValue(doc);
}

/** One XPath result item: a node (element, document) or a value (attribute, text, number, string, Boolean). */
export type XPathItem = XmlValue | string;
export type XPathResult = XPathItem[] | number | string | boolean;

/**
 * Evaluates an XPath 1.0 expression against an XML value. A node-set is an array (also of
 * one node, or none): elements as XML values, attributes and text as their string values;
 * a number, string or Boolean expression (`sum(…)`, `string(…)`, `count(…)`) its value.
 */
export function evaluateXPath(x: XmlValue, expression: string): XPathResult {
  let r: unknown;
  try {
    r = xpathLib.select(expression, x.node as unknown as Parameters<typeof xpathLib.select>[1]);
  } catch (e) {
    throw new XmlError(`'${expression}' is not an XPath expression this XML can answer: ${(e as Error).message}`);
  }
  if (Array.isArray(r))
    return (r as XmlNode[]).map((n) =>
      n.nodeType === ELEMENT || n.nodeType === DOCUMENT
        ? new XmlValue(n)
        : n.nodeType === ATTRIBUTE
          ? ((n as unknown as { value: string }).value ?? '')
          : (n.nodeValue ?? ''),
    );
  if (typeof r === 'number' || typeof r === 'string' || typeof r === 'boolean') return r;
  if (r !== null && typeof r === 'object') {
    const n = r as XmlNode;
    return [n.nodeType === ELEMENT ? new XmlValue(n) : (n.nodeValue ?? '')];
  }
  return [];
}
