// Fuzzing of the PEP decoders (fast-check, bounded, fixed seed unless FUZZ_SEED is set):
// a pubsub request decodes or throws a StanzaError, nothing else; a disco#info answer
// decodes and hashes (or is refused) without throwing; vCard/avatar readers never throw.
import fc from 'fast-check';
import { StanzaError } from '@parley/stanza';
import { Element, x } from '@parley/xml';
import { capsVer, discoInfoFromElement } from './caps';
import { pepRequestFromElement } from './pubsub';
import { avatarMetadataInfo, vcardPhoto } from './vcard';

const RUNS = { numRuns: 500, seed: Number(process.env.FUZZ_SEED ?? 20261203) };
const NAMES = ['publish', 'item', 'items', 'retract', 'delete', 'configure', 'publish-options', 'x', 'field', 'value', 'subscribe', 'identity', 'feature', 'PHOTO', 'BINVAL', 'TYPE', 'info', 'metadata'];
const NAMESPACES = ['http://jabber.org/protocol/pubsub', 'http://jabber.org/protocol/pubsub#owner', 'jabber:x:data', 'http://jabber.org/protocol/disco#info', 'vcard-temp', 'urn:xmpp:avatar:metadata', 'urn:example'];
const ATTRS = ['node', 'id', 'notify', 'max_items', 'type', 'var', 'category', 'name', 'xml:lang', 'url', 'bytes'];
const VALUES = fc.oneof(
  fc.constantFrom('', 'n', 'true', '1', '0', '-1', 'max', 'submit', 'hidden', 'FORM_TYPE', 'http://jabber.org/protocol/pubsub#publish-options', 'http://jabber.org/protocol/pubsub#node_config', 'x'.repeat(1100), 'aGVsbG8='),
  fc.string({ maxLength: 10 }),
);
const tree: fc.Arbitrary<Element> = fc.letrec<{ el: Element }>((tie) => ({
  el: fc
    .record({
      name: fc.constantFrom(...NAMES),
      ns: fc.option(fc.constantFrom(...NAMESPACES), { nil: undefined }),
      attrs: fc.dictionary(fc.constantFrom(...ATTRS), VALUES, { maxKeys: 3 }),
      children: fc.array(fc.oneof({ depthSize: 'small' }, VALUES, tie('el')), { maxLength: 4 }),
    })
    .map(({ name, ns, attrs, children }) => x(name, { ...attrs, xmlns: ns }, ...children)),
})).el;

const onlyStanzaErrors = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (!(e instanceof StanzaError)) throw e;
  }
};

describe('PEP decoders under fuzzing', () => {
  it('decode a pubsub request or throw a StanzaError', () => {
    fc.assert(
      fc.property(fc.constantFrom('http://jabber.org/protocol/pubsub', 'http://jabber.org/protocol/pubsub#owner'), fc.constantFrom<'get' | 'set'>('get', 'set'), fc.array(tree, { maxLength: 3 }), (ns, type, kids) => {
        onlyStanzaErrors(() => pepRequestFromElement(type, x('pubsub', { xmlns: ns }, ...kids)));
      }),
      RUNS,
    );
  });

  it('read disco#info answers, vCards and avatar metadata without throwing', () => {
    fc.assert(
      fc.property(fc.array(tree, { maxLength: 5 }), (kids) => {
        const q = x('query', { xmlns: 'http://jabber.org/protocol/disco#info' }, ...kids);
        const v = capsVer(discoInfoFromElement(q), 'sha-1');
        expect(v === undefined || typeof v === 'string').toBe(true);
        vcardPhoto(x('vCard', { xmlns: 'vcard-temp' }, ...kids));
        avatarMetadataInfo(x('metadata', { xmlns: 'urn:xmpp:avatar:metadata' }, ...kids));
      }),
      RUNS,
    );
  });
});
