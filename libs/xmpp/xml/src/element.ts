// The XMPP element model: a small mutable tree of local names, string
// attributes and children, plus the builder `x` and the serializer.
// Namespaces are carried as plain `xmlns` attributes: an element has one only
// where its namespace differs from its parent's (the parser guarantees this).

/** Attribute values accepted by the constructor and builder; `undefined` is dropped. */
export type AttrInput = Record<string, string | number | undefined>;

/** Anything `append` and `x` accept as a child; falsy values are skipped. */
export type ChildInput = Element | string | undefined | null | false;

const ATTR_SPECIAL = /[&<>"'\t\n\r]/;
const ATTR_SPECIAL_G = /[&<>"'\t\n\r]/g;
const TEXT_SPECIAL = /[&<>\r]/;
const TEXT_SPECIAL_G = /[&<>\r]/g;
const ENTITY_FOR: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};
const replaceSpecial = (ch: string): string => ENTITY_FOR[ch];

/**
 * Escapes a string for use inside a quoted attribute value: `& < > " '`, and
 * also tab, newline and carriage return (as character references) so that the
 * value survives XML attribute-value normalisation unchanged.
 */
export function escapeXml(s: string): string {
  return ATTR_SPECIAL.test(s) ? s.replace(ATTR_SPECIAL_G, replaceSpecial) : s;
}

/**
 * Escapes a string for use as character data: `& < >` (so `]]>` can never
 * appear), and carriage return as `&#13;` so it is not normalised away.
 */
export function escapeXmlText(s: string): string {
  return TEXT_SPECIAL.test(s) ? s.replace(TEXT_SPECIAL_G, replaceSpecial) : s;
}

function normaliseAttrs(input: AttrInput): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in input) {
    const v = input[key];
    if (v !== undefined) out[key] = typeof v === 'string' ? v : String(v);
  }
  return out;
}

/** One XML element: local name, attributes (with `xmlns` where it changes) and children. */
export class Element {
  /** Local name (never prefixed). */
  name: string;
  /** Attributes by qualified name; includes `xmlns` where the namespace differs from the parent's. */
  attrs: Record<string, string>;
  /** Child elements and (unescaped) text, in document order. */
  children: Array<Element | string>;

  /**
   * @param name local element name
   * @param attrs attributes; `undefined` values are omitted, numbers are stringified
   * @param children initial children (used as given, not copied)
   */
  constructor(name: string, attrs?: AttrInput, children?: Array<Element | string>) {
    this.name = name;
    this.attrs = attrs === undefined ? {} : normaliseAttrs(attrs);
    this.children = children === undefined ? [] : children;
  }

  /** The `xmlns` attribute, if this element declares one. */
  get xmlns(): string | undefined {
    return this.attrs.xmlns;
  }

  /** True when the name matches and, if given, the element's own `xmlns` attribute does too. */
  is(name: string, xmlns?: string): boolean {
    return this.name === name && (xmlns === undefined || this.attrs.xmlns === xmlns);
  }

  /** Returns an attribute value, or undefined. */
  getAttr(name: string): string | undefined {
    return this.attrs[name];
  }

  /** Sets an attribute; `undefined` deletes it. Returns this. */
  setAttr(name: string, value: string | undefined): this {
    if (value === undefined) delete this.attrs[name];
    else this.attrs[name] = value;
    return this;
  }

  /**
   * The first direct child element called `name`. When `xmlns` is given the
   * child's namespace must match: its own `xmlns` attribute, or, when it has
   * none, this element's `xmlns` attribute (which it inherits).
   */
  getChild(name: string, xmlns?: string): Element | undefined {
    const children = this.children;
    for (let i = 0; i < children.length; i++) {
      const c = children[i];
      if (typeof c !== 'string' && c.name === name && (xmlns === undefined || this.nsOfChild(c) === xmlns)) {
        return c;
      }
    }
    return undefined;
  }

  /** All direct child elements, optionally filtered by name and namespace (as in `getChild`). */
  getChildren(name?: string, xmlns?: string): Element[] {
    const out: Element[] = [];
    for (const c of this.children) {
      if (typeof c === 'string') continue;
      if (name !== undefined && c.name !== name) continue;
      if (xmlns !== undefined && this.nsOfChild(c) !== xmlns) continue;
      out.push(c);
    }
    return out;
  }

  /** The first direct child element in namespace `xmlns` (as in `getChild`). */
  getChildByNs(xmlns: string): Element | undefined {
    for (const c of this.children) {
      if (typeof c !== 'string' && this.nsOfChild(c) === xmlns) return c;
    }
    return undefined;
  }

  /** The text of the first matching direct child, or undefined if there is no such child. */
  getChildText(name: string, xmlns?: string): string | undefined {
    return this.getChild(name, xmlns)?.text();
  }

  /** Concatenation of the direct text children. */
  text(): string {
    const children = this.children;
    if (children.length === 1 && typeof children[0] === 'string') return children[0];
    let s = '';
    for (const c of children) if (typeof c === 'string') s += c;
    return s;
  }

  /** Appends children; `undefined`, `null`, `false` and empty strings are skipped. Returns this. */
  append(...children: ChildInput[]): this {
    for (const c of children) appendChild(this.children, c);
    return this;
  }

  /** Removes a direct child element (by identity). Returns this. */
  remove(child: Element): this {
    const i = this.children.indexOf(child);
    if (i >= 0) this.children.splice(i, 1);
    return this;
  }

  /** A deep copy. */
  clone(): Element {
    const copy = new Element(this.name);
    copy.attrs = { ...this.attrs };
    copy.children = this.children.map((c) => (typeof c === 'string' ? c : c.clone()));
    return copy;
  }

  /** Serialises the element (and its subtree) as XML. */
  toString(): string {
    return serialise(this);
  }

  private nsOfChild(c: Element): string | undefined {
    const own = c.attrs.xmlns;
    return own !== undefined ? own : this.attrs.xmlns;
  }
}

function appendChild(children: Array<Element | string>, c: ChildInput | Array<Element | string>): void {
  if (c === undefined || c === null || c === false || c === '') return;
  if (Array.isArray(c)) {
    for (const item of c) appendChild(children, item);
    return;
  }
  children.push(c);
}

function serialise(el: Element): string {
  let s = '<' + el.name;
  const attrs = el.attrs;
  for (const key in attrs) {
    const v = attrs[key];
    if (v !== undefined) s += ' ' + key + '="' + escapeXml(v) + '"';
  }
  const children = el.children;
  const n = children.length;
  if (n === 0) return s + '/>';
  s += '>';
  for (let i = 0; i < n; i++) {
    const c = children[i];
    s += typeof c === 'string' ? escapeXmlText(c) : serialise(c);
  }
  return s + '</' + el.name + '>';
}

/**
 * Builds an element: `x('message', { to, type: 'chat' }, x('body', null, 'hi'))`.
 * Children may be elements, strings or arrays of them; `undefined`, `null` and
 * `false` are skipped so conditional children can be written inline.
 */
export function x(
  name: string,
  attrs?: AttrInput | null,
  ...children: Array<ChildInput | Array<Element | string>>
): Element {
  const el = new Element(name, attrs ?? undefined);
  for (const c of children) appendChild(el.children, c);
  return el;
}
