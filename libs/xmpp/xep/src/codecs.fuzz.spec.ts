// Property-based fuzzing of every codec in @parley/xep (fast-check, bounded runs; a
// fixed seed unless FUZZ_SEED is set). Element trees are built from the codecs' own
// vocabulary (names, namespaces, attributes, values) so that the fuzzer reaches deep
// into them. Each decoder either returns a value or throws a StanzaError — nothing
// else — and whatever it returns encodes to XML that decodes to the same value.
import fc from 'fast-check';
import { StanzaError } from '@parley/stanza';
import { Element, parseXml, x } from '@parley/xml';
import { dataForm, mamFin, mamMetadata, mamPrefs, mamQuery, mamResult, NS_DATA_FORMS, NS_DELAY, NS_FORWARD, NS_MAM, NS_RSM, rsmRequest, rsmResult } from './index';

const RUNS = { numRuns: 600, seed: Number(process.env.FUZZ_SEED ?? 20261202) };

const NAMES = [
  'x', 'field', 'value', 'option', 'title', 'instructions', 'required', 'desc', 'validate', 'open',
  'set', 'max', 'before', 'after', 'index', 'first', 'last', 'count',
  'query', 'prefs', 'always', 'never', 'jid', 'result', 'forwarded', 'delay', 'message', 'body', 'fin', 'metadata', 'start', 'end', 'flip-page',
];
const NAMESPACES = [NS_DATA_FORMS, NS_RSM, NS_MAM, NS_FORWARD, NS_DELAY, 'jabber:client', 'urn:example:other'];
const ATTRS = ['type', 'var', 'label', 'default', 'queryid', 'id', 'complete', 'stable', 'stamp', 'from', 'to', 'node', 'index', 'datatype'];
const VALUES = fc.oneof(
  fc.constantFrom('', 'submit', 'form', 'result', 'cancel', 'hidden', 'text-single', 'jid-multi', 'list-multi', 'boolean', 'FORM_TYPE', NS_MAM, 'with', 'start', 'end', 'before-id', 'after-id', 'ids', 'roster', 'always', 'never', 'true', 'false', '1', '0', '10', '-1', '999999999999', '2026-12-02T17:30:00Z', '2026-13-40T99:99:99Z', 'juliet@capulet.lit', 'a@b/c', '@@', 'x'.repeat(300)),
  fc.string({ maxLength: 12 }),
);

const tree: fc.Arbitrary<Element> = fc.letrec<{ el: Element }>((tie) => ({
  el: fc
    .record({
      name: fc.constantFrom(...NAMES),
      ns: fc.option(fc.constantFrom(...NAMESPACES), { nil: undefined }),
      attrs: fc.dictionary(fc.constantFrom(...ATTRS), VALUES, { maxKeys: 3 }),
      children: fc.array(fc.oneof({ depthSize: 'small', withCrossShrink: true }, VALUES, tie('el')), { maxLength: 5 }),
    })
    .map(({ name, ns, attrs, children }) => x(name, { ...attrs, xmlns: ns }, ...children)),
})).el;

/**
 * A top-level element as a decoder receives it: the codec's element with its namespace,
 * usually with the attributes and children it requires (so that the decoder gets past
 * its first check), mixed with random ones.
 */
const rooted = (name: string, ns: string, required: fc.Arbitrary<Record<string, string>> = fc.constant({}), parts: fc.Arbitrary<Element[]> = fc.constant([])) =>
  fc
    .record({ t: tree, req: fc.option(required, { freq: 4, nil: undefined }), parts: fc.option(parts, { freq: 4, nil: undefined }) })
    .map(({ t, req, parts: p }) => x(name, { ...t.attrs, ...(req ?? {}), xmlns: ns }, ...(p ?? []), ...t.children));

const field = fc
  .record({
    var: fc.option(VALUES, { freq: 5, nil: undefined }),
    type: fc.option(fc.constantFrom('boolean', 'fixed', 'hidden', 'jid-multi', 'jid-single', 'list-multi', 'list-single', 'text-multi', 'text-private', 'text-single'), { nil: undefined }),
    values: fc.array(VALUES, { maxLength: 3 }),
    extra: fc.array(tree, { maxLength: 2 }),
  })
  .map((f) => x('field', { var: f.var, type: f.type }, ...f.values.map((v) => x('value', null, v)), ...f.extra));
const jidList = (name: string) => fc.array(VALUES, { maxLength: 3 }).map((js) => x(name, null, ...js.map((j) => x('jid', null, j))));
const forwarded = fc
  .record({ stamp: fc.oneof(VALUES, fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString().replace(/\.\d+Z$/, 'Z'))), body: VALUES })
  .map((f) => x('forwarded', { xmlns: NS_FORWARD }, x('delay', { xmlns: NS_DELAY, stamp: f.stamp }), x('message', { xmlns: 'jabber:client' }, x('body', null, f.body))));

interface Codec {
  name: string;
  root: fc.Arbitrary<Element>;
  decode(el: Element): unknown;
  encode?(v: never): Element;
}

const CODECS: Codec[] = [
  { name: 'data form (XEP-0004)', root: rooted('x', NS_DATA_FORMS, fc.record({ type: fc.constantFrom('form', 'submit', 'cancel', 'result') }), fc.array(field, { maxLength: 4 })), decode: dataForm.fromElement, encode: dataForm.toElement },
  { name: 'RSM request (XEP-0059)', root: rooted('set', NS_RSM), decode: rsmRequest.fromElement, encode: rsmRequest.toElement },
  { name: 'RSM result (XEP-0059)', root: rooted('set', NS_RSM), decode: rsmResult.fromElement, encode: rsmResult.toElement },
  { name: 'MAM prefs (XEP-0313)', root: rooted('prefs', NS_MAM, fc.record({ default: fc.constantFrom('roster', 'always', 'never') }), fc.tuple(jidList('always'), jidList('never'))), decode: mamPrefs.fromElement, encode: mamPrefs.toElement },
  { name: 'MAM query (XEP-0313)', root: rooted('query', NS_MAM), decode: mamQuery.fromElement, encode: mamQuery.toElement },
  { name: 'MAM result (XEP-0313)', root: rooted('result', NS_MAM, fc.record({ id: VALUES }), forwarded.map((f) => [f])), decode: mamResult.fromElement },
  { name: 'MAM fin (XEP-0313)', root: rooted('fin', NS_MAM), decode: mamFin.fromElement, encode: mamFin.toElement },
  { name: 'MAM metadata (XEP-0313)', root: rooted('metadata', NS_MAM), decode: mamMetadata.fromElement, encode: mamMetadata.toElement },
];

/** Decodes, turning a StanzaError into undefined and letting anything else fail the property. */
function tryDecode(c: Codec, el: Element): { value: unknown } | undefined {
  try {
    return { value: c.decode(el) };
  } catch (e) {
    if (e instanceof StanzaError) return undefined;
    throw new Error(`${c.name} threw ${(e as Error)?.name}: ${(e as Error)?.message} on ${el.toString()}`);
  }
}

describe('@parley/xep codecs, fuzzed', () => {
  for (const c of CODECS) {
    it(`${c.name}: decodes or refuses with a StanzaError, and what it decodes survives a round trip`, () => {
      let decoded = 0;
      fc.assert(
        fc.property(fc.oneof(c.root, tree), (el) => {
          const first = tryDecode(c, el);
          if (first) decoded += 1;
          if (!first || !c.encode) return;
          // through the wire form, as a peer would see it
          const wire = parseXml(c.encode(first.value as never).toString());
          const second = tryDecode(c, wire);
          expect(second).toBeDefined();
          expect(second!.value).toEqual(first.value);
        }),
        RUNS,
      );
      // the generator reaches past the first check often enough to mean something
      expect(decoded).toBeGreaterThan(RUNS.numRuns / 100);
    });
  }
});
