// Streaming XMPP parser (RFC 6120 §11): saxes does the tokenising; this file
// enforces XMPP's XML restrictions, namespace normalisation and the byte
// limits, and turns each top-level child of <stream:stream> into an Element.
//
// Byte accounting: decoded text is fed to saxes in pieces of at most
// SLICE_CHARS characters. `boundary` is the byte offset where the current
// top-level element may start (just after the previous one, or at the '<'
// that ended inter-stanza whitespace); after every piece, and at every
// stanza end, the bytes since the boundary are compared with the limit, so
// nothing larger than limit + one piece is ever buffered.

import { SaxesAttributeNS, SaxesParser, SaxesTagNS, XMLDecl } from 'saxes';
import { Element } from './element';
import { XmlError, XmlErrorCondition } from './errors';
import { Utf8Pieces } from './utf8';

/** The namespace of `<stream:stream>`, `<stream:features>` and `<stream:error>`. */
export const NS_STREAMS = 'http://etherx.jabber.org/streams';

/** Limits applied by the stream parser (all sizes are in bytes of UTF-8 input). */
export interface StreamParserOptions {
  /** Max bytes of one top-level element (stanza or nonza); default 262144. */
  maxStanzaBytes: number;
  /** Max bytes up to and including the stream header's '>'; default 65536. */
  maxHeaderBytes?: number;
  /** Max element nesting below the stream element (a stanza is level 1); default 64. */
  maxDepth?: number;
  /** Max attributes (namespace declarations included) per element; default 128. */
  maxAttributes?: number;
}

/** The opening `<stream:stream>` tag as received. */
export interface StreamHeader {
  /** Local name (always 'stream' once accepted). */
  name: string;
  /** Namespace of the element (always NS_STREAMS once accepted). */
  ns: string;
  /** The prefix used, usually 'stream'; '' if the streams namespace was the default. */
  prefix: string;
  /** All attributes by qualified name, namespace declarations included. */
  attrs: Record<string, string>;
  /** The default namespace declared on the header (e.g. 'jabber:client'), if any. */
  defaultNs: string | undefined;
}

/** Receives parser events; all calls are synchronous, from inside `write`. */
export interface StreamParserHandler {
  /** The stream header's start tag is complete. */
  streamStart(header: StreamHeader): void;
  /** A top-level child of the stream is complete (message, presence, iq, auth, r, ...). */
  stanza(el: Element): void;
  /** `</stream:stream>` was received; further input is ignored until reset(). */
  streamEnd(): void;
  /** Called at most once; further input is ignored until reset(). */
  error(err: XmlError): void;
}

/** Default limits. */
export const DEFAULT_STREAM_LIMITS: Readonly<Required<StreamParserOptions>> = Object.freeze({
  maxStanzaBytes: 262144,
  maxHeaderBytes: 65536,
  maxDepth: 64,
  maxAttributes: 128,
});

const SLICE_CHARS = 16384;

// Parser states.
const HEADER = 0; // waiting for the stream header
const OPEN = 1; // inside the stream (or, in document mode, parsing the document)
const ENDED = 2; // </stream:stream> seen
const FAILED = 3; // error reported
const CLOSED = 4; // end() called

/** Thrown from saxes callbacks to abandon the rest of the current piece. */
class Stop {}
const STOP = new Stop();
const STREAM_END = Symbol('stream end');

type SaxOpts = { xmlns: true; forceXMLVersion: true; defaultXMLVersion: '1.0' };

interface SaxHandlers {
  attribute(attr: SaxesAttributeNS): void;
  opentag(tag: SaxesTagNS): void;
  closetag(): void;
  text(text: string): void;
  cdata(text: string): void;
  xmldecl(decl: XMLDecl): void;
  comment(): void;
  processinginstruction(): void;
  doctype(): void;
  error(err: Error): void;
}

/**
 * saxes with all handlers registered inside the constructor. Handlers added
 * after construction are new properties on a finished object, and past six
 * of them V8 switches the parser to dictionary mode, which makes every
 * property access in saxes' inner loop several times slower.
 */
class XmppSaxes extends SaxesParser<SaxOpts> {
  /**
   * saxes builds a table of its state methods in every parser (~380 bytes); they are
   * the prototype's own functions, called with the parser as `this`, so every parser
   * of a process can use the first one's table.
   */
  private static sharedStates?: unknown[];

  constructor(h: SaxHandlers) {
    super({ xmlns: true, forceXMLVersion: true, defaultXMLVersion: '1.0' });
    const own = this as unknown as { stateTable: unknown[] };
    if (XmppSaxes.sharedStates) own.stateTable = XmppSaxes.sharedStates;
    else XmppSaxes.sharedStates = own.stateTable;
    this.on('attribute', h.attribute);
    this.on('opentag', h.opentag);
    this.on('closetag', h.closetag);
    this.on('text', h.text);
    this.on('cdata', h.cdata);
    this.on('xmldecl', h.xmldecl);
    this.on('comment', h.comment);
    this.on('processinginstruction', h.processinginstruction);
    this.on('doctype', h.doctype);
    this.on('error', h.error);
  }
}

function isXmlWhitespace(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

function whitespaceFrom(s: string, from: number): boolean {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

/** An attribute value for a single-quoted attribute, read back by saxes as the same value (whitespace characters kept). */
function escapeForAttribute(v: string): string {
  return v.replace(/[&<'\t\n\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === "'" ? '&apos;' : `&#${c.charCodeAt(0)};`));
}

function conditionForSaxesError(message: string): XmlErrorCondition {
  if (message.includes('undefined entity')) return 'restricted-xml';
  if (message.includes('doctype')) return 'restricted-xml';
  if (message.includes('unbound namespace prefix')) return 'bad-namespace-prefix';
  return 'not-well-formed';
}

/**
 * Incremental parser for one XMPP stream. Feed it socket data with `write`;
 * it reports the header, each complete stanza, the stream end, or one error.
 * Call `reset()` for a stream restart (after STARTTLS or SASL success).
 */
export class StreamParser {
  private readonly handler: StreamParserHandler;
  private readonly maxStanzaBytes: number;
  private readonly maxHeaderBytes: number;
  private readonly maxDepth: number;
  private readonly maxAttributes: number;
  private readonly documentMode: boolean;

  /** The tokenizer; undefined while the stream hibernates (see hibernate()). */
  private sax: SaxesParser<SaxOpts> | undefined;
  private decoder!: Utf8Pieces;
  private gen = 0;
  private state = HEADER;
  private writing = false;
  private pendingError: XmlError | undefined;

  // Open elements of the current top-level element, with their namespace URIs
  // and the namespace declarations made on each.
  private stack: Element[] = [];
  private uris: string[] = [];
  private decls: Array<Record<string, string>> = [];
  private rootOpen = false;
  private defaultNs = '';
  private attrList: SaxesAttributeNS[] = []; // attributes of the tag being parsed

  // Byte accounting (see file header).
  private byteBase = 0; // input bytes before the piece being parsed
  private charBase = 0; // characters fed to saxes before that piece
  private cur = ''; // the piece being parsed
  private curAscii = true;
  private curOff = 0; // byteAt() cache: char offset in `cur` ...
  private curBytes = 0; // ... and its byte offset
  private boundary = 0; // byte offset where the current top-level element may start
  private lastTopEnd = -1; // saxes position just after the last top-level element / header
  private between = false; // only whitespace since the last top-level element

  // A completed top-level element is held back until saxes moves past its end
  // tag, because saxes reports a mismatched end tag only after the close event.
  // The same holds for </stream:stream> (saxes pops the root for any stray
  // end tag at stream level before reporting it), held as STREAM_END.
  private pending: Element | typeof STREAM_END | undefined;
  private pendingPos = 0; // saxes position just after the pending end tag
  // Set when a handler calls reset() mid-write: the saxes position from which
  // the rest of the input belongs to the new stream, or -1 to discard it.
  private resumeAt = -1;
  // The stream header's qualified name and namespace declarations, as a start tag: what a
  // new tokenizer is given to stand where the dropped one stood (hibernate()).
  private rootTag = '';
  private waking = false;

  /**
   * @param handler receives the events
   * @param opts limits; missing ones take DEFAULT_STREAM_LIMITS
   * @param mode internal: 'document' parses one standalone element (see parseXml)
   */
  constructor(handler: StreamParserHandler, opts?: Partial<StreamParserOptions>, mode: 'stream' | 'document' = 'stream') {
    this.handler = handler;
    this.maxStanzaBytes = opts?.maxStanzaBytes ?? DEFAULT_STREAM_LIMITS.maxStanzaBytes;
    this.maxHeaderBytes = opts?.maxHeaderBytes ?? DEFAULT_STREAM_LIMITS.maxHeaderBytes;
    this.maxDepth = opts?.maxDepth ?? DEFAULT_STREAM_LIMITS.maxDepth;
    this.maxAttributes = opts?.maxAttributes ?? DEFAULT_STREAM_LIMITS.maxAttributes;
    this.documentMode = mode === 'document';
    this.reset();
  }

  /**
   * Feeds received data. Buffers may split UTF-8 sequences anywhere. Handler
   * callbacks run synchronously inside this call; a handler may call reset(),
   * in which case the rest of the data goes to the new stream. An exception
   * thrown by a handler propagates and leaves the parser dead until reset().
   */
  write(chunk: Buffer | string): void {
    if (this.state >= ENDED) return;
    if (this.writing) throw new Error('StreamParser.write() called re-entrantly');
    let s: string;
    if (typeof chunk === 'string') {
      s = chunk;
    } else {
      try {
        s = this.decoder.decode(chunk);
      } catch {
        this.fail('not-well-formed', 'invalid UTF-8');
        return;
      }
    }
    if (s.length === 0) return;
    this.writing = true;
    try {
      this.push(s);
    } finally {
      this.writing = false;
    }
  }

  /** Starts afresh for a new stream on the same connection (stream restart). */
  reset(): void {
    this.gen++;
    // Mid-write (called from a handler) the byte stream continues, so any
    // partial UTF-8 sequence the decoder holds still belongs to it.
    if (!this.writing || this.decoder === undefined) this.decoder = new Utf8Pieces();
    this.state = this.documentMode ? OPEN : HEADER;
    this.pendingError = undefined;
    this.stack = [];
    this.uris = [];
    this.decls = [];
    this.rootOpen = false;
    this.defaultNs = '';
    this.byteBase = 0;
    this.charBase = 0;
    this.cur = '';
    this.curAscii = true;
    this.curOff = 0;
    this.curBytes = 0;
    this.boundary = 0;
    this.lastTopEnd = -1;
    this.between = false;
    this.pending = undefined;
    this.attrList = [];
    this.rootTag = '';
    this.sax = this.newSax();
  }

  /**
   * Drops the tokenizer of an idle stream (saxes and its buffers, ~4 KiB of heap) when
   * it stands between two top-level elements, at stream level; the next write gives a
   * new one the stream header's namespace context and goes on exactly where it was.
   * True when the stream hibernates (now or already); false anywhere else: before the
   * header, inside an element, after the end or an error, during a write, in document mode.
   */
  hibernate(): boolean {
    if (this.documentMode || this.state !== OPEN || this.writing || this.rootTag === '') return false;
    if (this.sax === undefined) return true;
    if (this.stack.length !== 0 || this.pending !== undefined || !(this.between || this.lastTopEnd === this.charBase)) return false;
    this.sax = undefined;
    return true;
  }

  /** Whether the stream hibernates (no tokenizer until the next write). */
  get hibernating(): boolean {
    return this.sax === undefined;
  }

  /** A new tokenizer inside the stream element, at stream level (after hibernate()). */
  private wake(): SaxesParser<SaxOpts> {
    const sax = this.newSax();
    this.sax = sax;
    this.rootOpen = false;
    this.waking = true;
    try {
      sax.write(this.rootTag);
    } catch {
      // the header was accepted once with the same declarations; should this ever fail, the stream cannot go on
      this.state = FAILED;
      this.pendingError = new XmlError('not-well-formed', 'the stream context could not be restored');
    } finally {
      this.waking = false;
    }
    // saxes counts positions in UTF-16 code units from its first input (its `position`
    // getter is exact inside callbacks only)
    this.charBase = this.rootTag.length;
    this.lastTopEnd = this.rootTag.length;
    return sax;
  }

  /**
   * No more input will come (the connection closed). Emits nothing for a
   * stream that was simply cut off; in document mode runs the end-of-document
   * well-formedness checks.
   */
  end(): void {
    if (this.state >= ENDED) return;
    if (this.documentMode) {
      const gen = this.gen;
      try {
        this.sax!.close(); // never hibernated in document mode
        this.flushPending(gen);
      } catch (e) {
        if (e !== STOP) throw e;
        if (this.state === FAILED && this.gen === gen) this.emitPendingError();
        return;
      }
    }
    this.state = CLOSED;
  }

  private newSax(): SaxesParser<SaxOpts> {
    const gen = this.gen;
    const attrList = this.attrList;
    const sax: SaxesParser<SaxOpts> = new XmppSaxes({
      attribute: (attr) => {
        // Collected here (an array is cheaper to walk than saxes' attribute
        // dictionary), which also lets the limit apply before the tag ends.
        if (attrList.push(attr) > this.maxAttributes) this.abort('policy-violation', `more than ${this.maxAttributes} attributes`);
      },
      opentag: (tag) => this.onOpenTag(tag, gen),
      closetag: () => this.onCloseTag(gen),
      text: (text) => this.onText(text, true, gen),
      cdata: (text) => this.onText(text, false, gen),
      xmldecl: (decl) => this.onXmlDecl(decl),
      comment: () => this.restricted(gen, 'comments are not allowed'),
      processinginstruction: () => this.restricted(gen, 'processing instructions are not allowed'),
      doctype: () => this.restricted(gen, 'DTDs are not allowed'),
      error: (err) => {
        // An error reported at the very end of the pending element is about
        // its end tag (a mismatch): that element must not be delivered.
        if (this.pending !== undefined && sax.position === this.pendingPos) this.pending = undefined;
        else this.flushPending(gen);
        this.abort(conditionForSaxesError(err.message), err.message);
      },
    });
    return sax;
  }

  // ---- feeding -----------------------------------------------------------

  private push(s: string): void {
    let rest = s;
    while (rest.length !== 0 && this.state < ENDED) {
      let end = rest.length;
      if (end > SLICE_CHARS) {
        end = SLICE_CHARS;
        const c = rest.charCodeAt(end - 1);
        if (c >= 0xd800 && c <= 0xdbff) end--; // never split a surrogate pair
      }
      const used = this.feed(end === rest.length ? rest : rest.slice(0, end));
      if (used < 0) return;
      rest = used >= rest.length ? '' : rest.slice(used);
    }
  }

  /** Parses one piece; returns the characters consumed, or -1 to drop the rest of the input. */
  private feed(piece: string): number {
    let s = piece;
    let skipped = 0;
    if (this.between) {
      // Whitespace keepalives between stanzas never reach saxes, so they are
      // neither buffered nor counted against the next stanza.
      let i = 0;
      const n = s.length;
      while (i < n) {
        const c = s.charCodeAt(i);
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
        else break;
      }
      if (i !== 0) {
        this.byteBase += i;
        this.boundary = this.byteBase;
        if (i === n) return n;
        s = s.slice(i);
        skipped = i;
      }
      this.between = false;
    }

    if (this.sax === undefined) {
      this.wake();
      if (this.state === FAILED) {
        this.emitPendingError();
        return -1;
      }
    }
    const bytes = Buffer.byteLength(s, 'utf8');
    this.cur = s;
    this.curAscii = bytes === s.length;
    this.curOff = 0;
    this.curBytes = 0;
    const sax = this.sax!;
    const gen = this.gen;
    const charBase = this.charBase;
    try {
      sax.write(s);
      this.flushPending(gen);
    } catch (e) {
      if (e !== STOP) {
        if (this.gen === gen) this.state = FAILED; // a handler threw: the tokenizer state is lost
        throw e;
      }
      if (this.gen !== gen) {
        // A handler called reset(): the rest of the input is the new stream's
        // (unless the reset followed the stream end, then it is discarded).
        const at = this.resumeAt;
        this.resumeAt = -1;
        return at < 0 ? -1 : skipped + (at - charBase);
      }
      if (this.state === FAILED) this.emitPendingError();
      return -1;
    }
    this.charBase = charBase + s.length;
    this.byteBase += bytes;

    if (this.state === HEADER) {
      if (this.byteBase > this.maxHeaderBytes) {
        this.fail('policy-violation', `stream header exceeds ${this.maxHeaderBytes} bytes`);
        return -1;
      }
    } else if (this.stack.length === 0 && this.lastTopEnd >= charBase && whitespaceFrom(s, this.lastTopEnd - charBase)) {
      this.between = true;
      this.boundary = this.byteBase;
    } else if (this.byteBase - this.boundary > this.maxStanzaBytes) {
      this.fail('policy-violation', `stanza exceeds ${this.maxStanzaBytes} bytes`);
      return -1;
    }
    return piece.length;
  }

  /** Byte offset (since reset) of saxes position `pos`, which must lie in the current piece. */
  private byteAt(pos: number): number {
    const off = pos - this.charBase;
    if (this.curAscii || off <= 0) return this.byteBase + off;
    if (off < this.curOff) {
      this.curOff = 0;
      this.curBytes = 0;
    }
    if (off > this.curOff) {
      this.curBytes += Buffer.byteLength(this.cur.substring(this.curOff, off), 'utf8');
      this.curOff = off;
    }
    return this.byteBase + this.curBytes;
  }

  // ---- errors ------------------------------------------------------------

  /** Inside saxes callbacks: record the error and abandon the piece. */
  private abort(condition: XmlErrorCondition, message: string): never {
    if (this.state !== FAILED) {
      this.state = FAILED;
      this.pendingError = new XmlError(condition, message);
    }
    throw STOP;
  }

  private restricted(gen: number, message: string): never {
    this.flushPending(gen);
    return this.abort('restricted-xml', message);
  }

  /** Delivers the held-back top-level element or stream end, if any. */
  private flushPending(gen: number): void {
    const el = this.pending;
    if (el === undefined) return;
    const pos = this.pendingPos;
    this.pending = undefined;
    if (el === STREAM_END) {
      this.state = ENDED;
      this.handler.streamEnd();
      this.stopIfReset(gen, -1);
      throw STOP; // ignore everything after the stream end
    }
    this.handler.stanza(el);
    this.stopIfReset(gen, pos);
  }

  /** After a handler call: if it reset the parser, abandon this saxes instance. */
  private stopIfReset(gen: number, resumeAt: number): void {
    if (this.gen !== gen) {
      this.resumeAt = this.writing ? resumeAt : -1;
      throw STOP;
    }
  }

  /** Outside saxes: report an error now. */
  private fail(condition: XmlErrorCondition, message: string): void {
    if (this.state === FAILED) return;
    this.state = FAILED;
    this.pendingError = new XmlError(condition, message);
    this.emitPendingError();
  }

  private emitPendingError(): void {
    const err = this.pendingError;
    if (err === undefined) return;
    this.pendingError = undefined;
    this.handler.error(err);
  }

  // ---- saxes events ------------------------------------------------------

  private onXmlDecl(decl: XMLDecl): void {
    const enc = decl.encoding;
    if (enc !== undefined && enc.toLowerCase() !== 'utf-8') {
      this.abort('unsupported-encoding', `encoding ${enc} is not supported; use UTF-8`);
    }
  }

  private onOpenTag(tag: SaxesTagNS, gen: number): void {
    if (this.pending !== undefined) this.flushPending(gen);
    const stack = this.stack;
    const depth = stack.length;
    if (depth === 0 && !this.rootOpen) {
      this.rootOpen = true;
      if (!this.documentMode) {
        if (this.waking) this.attrList.length = 0; // the restored stream element: already reported
        else this.openStream(tag, gen);
        return;
      }
    }
    if (depth >= this.maxDepth) this.abort('policy-violation', `elements nested deeper than ${this.maxDepth}`);
    const uri = tag.uri;
    const parentUri = depth === 0 ? this.defaultNs : this.uris[depth - 1];
    const attrs: Record<string, string> = uri !== parentUri ? { xmlns: uri } : {};
    const list = this.attrList;
    let prefixed: string[] | undefined;
    for (let i = 0; i < list.length; i++) {
      const a = list[i];
      const prefix = a.prefix;
      if (prefix === '') {
        if (a.name !== 'xmlns') attrs[a.name] = a.value;
      } else if (prefix !== 'xmlns') {
        attrs[a.name] = a.value;
        if (prefix !== 'xml') (prefixed ??= []).push(prefix, a.uri);
      }
      // xmlns:prefix declarations are dropped here; keepDeclarations() restores the used ones.
    }
    list.length = 0;
    const el = new Element(tag.local);
    el.attrs = attrs;
    if (depth !== 0) stack[depth - 1].children.push(el);
    stack.push(el);
    this.uris.push(uri);
    this.decls.push(tag.ns);
    if (prefixed !== undefined) this.keepDeclarations(prefixed);
  }

  /**
   * Prefixed attributes need their prefix declared: keep the declaration on
   * the nearest open element that made it, or, if it was made outside this
   * top-level element (on the stream header), put it on the element itself.
   */
  private keepDeclarations(prefixed: string[]): void {
    const stack = this.stack;
    const decls = this.decls;
    outer: for (let k = 0; k < prefixed.length; k += 2) {
      const prefix = prefixed[k];
      const key = 'xmlns:' + prefix;
      for (let i = stack.length - 1; i >= 0; i--) {
        const declared = decls[i][prefix];
        if (declared !== undefined) {
          stack[i].attrs[key] = declared;
          continue outer;
        }
      }
      stack[stack.length - 1].attrs[key] = prefixed[k + 1];
    }
  }

  private openStream(tag: SaxesTagNS, gen: number): void {
    if (tag.uri !== NS_STREAMS || tag.local !== 'stream') {
      this.abort('invalid-namespace', `expected <stream xmlns='${NS_STREAMS}'>, got {${tag.uri}}${tag.local}`);
    }
    const sax = this.sax!;
    const end = this.byteAt(sax.position);
    if (end > this.maxHeaderBytes) this.abort('policy-violation', `stream header exceeds ${this.maxHeaderBytes} bytes`);
    const attrs: Record<string, string> = {};
    let rootTag = '<' + tag.name;
    for (const a of this.attrList) {
      attrs[a.name] = a.value;
      if (a.name === 'xmlns' || a.prefix === 'xmlns') rootTag += ` ${a.name}='${escapeForAttribute(a.value)}'`;
    }
    this.rootTag = rootTag + '>';
    this.attrList.length = 0;
    const declaredDefault = tag.ns[''];
    this.defaultNs = declaredDefault ?? '';
    const pos = sax.position;
    this.state = OPEN;
    this.boundary = end;
    this.lastTopEnd = pos;
    this.handler.streamStart({ name: tag.local, ns: tag.uri, prefix: tag.prefix, attrs, defaultNs: declaredDefault });
    this.stopIfReset(gen, pos);
  }

  private onCloseTag(gen: number): void {
    if (this.pending !== undefined) this.flushPending(gen);
    const stack = this.stack;
    const n = stack.length;
    if (n === 0) {
      // </stream:stream> (or, if saxes reports an error right away, a stray end tag)
      this.pending = STREAM_END;
      this.pendingPos = this.sax!.position;
      return;
    }
    const el = stack.pop() as Element;
    this.uris.pop();
    this.decls.pop();
    if (n !== 1) return;
    if (!this.documentMode) {
      const pos = this.sax!.position;
      const end = this.byteAt(pos);
      if (end - this.boundary > this.maxStanzaBytes) {
        this.abort('policy-violation', `stanza exceeds ${this.maxStanzaBytes} bytes`);
      }
      this.boundary = end;
      this.lastTopEnd = pos;
    }
    this.pending = el;
    this.pendingPos = this.sax!.position;
  }

  private onText(text: string, plain: boolean, gen: number): void {
    if (this.pending !== undefined) this.flushPending(gen);
    const stack = this.stack;
    const n = stack.length;
    if (n === 0) {
      // Outside the root saxes itself rejects non-whitespace.
      if (!this.rootOpen || this.documentMode) return;
      if (!isXmlWhitespace(text)) this.abort('not-well-formed', 'text between stanzas');
      // Plain text ends at the '<' that starts the next top-level element.
      if (plain) this.boundary = this.byteAt(this.sax!.position - 1);
      return;
    }
    const children = stack[n - 1].children;
    const last = children.length - 1;
    if (last >= 0 && typeof children[last] === 'string') children[last] += text;
    else children.push(text);
  }
}

/**
 * Parses one standalone element (fixtures, tests, stored XML) with the same
 * XML restrictions as the stream parser (no DTD, comments, PIs, or entities
 * beyond the predefined ones). The root's namespace, if declared, becomes its
 * `xmlns` attribute. Throws XmlError.
 */
export function parseXml(doc: string): Element {
  let result: Element | undefined;
  let error: XmlError | undefined;
  const parser = new StreamParser(
    {
      streamStart() {},
      stanza(el) {
        result = el;
      },
      streamEnd() {},
      error(err) {
        error = err;
      },
    },
    { maxStanzaBytes: Infinity, maxHeaderBytes: Infinity },
    'document',
  );
  parser.write(doc);
  parser.end();
  if (error !== undefined) throw error;
  if (result === undefined) throw new XmlError('not-well-formed', 'no element');
  return result;
}
