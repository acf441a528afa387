import { attrValue, decodeBenchId, encodeBenchId, MessageScanner } from './message-scan';

describe('bench message ids', () => {
  it('round-trip step, sequence and send time', () => {
    const id = { step: 3, seq: 12345, sentUs: 987654321012 };
    expect(encodeBenchId(id)).toBe('q3-12345-987654321012');
    expect(decodeBenchId(encodeBenchId(id))).toEqual(id);
  });

  it('ignore ids the benchmark did not make', () => {
    for (const s of [undefined, '', 'bind1', 'q', 'q1-2', 'q1--3', 'q-1-2', 'q1-2-', 'qa-1-2', 'x1-2-3', 'q1-2-3.5']) {
      expect(decodeBenchId(s)).toBeUndefined();
    }
  });
});

describe('attrValue', () => {
  it('reads either quote style and whole attribute names only', () => {
    expect(attrValue(`<message from="a@b/c" id="q1-2-3" type='chat'`, 'id')).toBe('q1-2-3');
    expect(attrValue(`<message type='error' xml:id="x" id='y'`, 'id')).toBe('y');
    expect(attrValue(`<message type='error'`, 'type')).toBe('error');
    expect(attrValue(`<message to='x'`, 'id')).toBeUndefined();
    expect(attrValue(`<message\tid="tab"`, 'id')).toBe('tab');
  });
});

describe('MessageScanner', () => {
  const collect = () => {
    const seen: Array<[string | undefined, boolean]> = [];
    return { seen, scanner: new MessageScanner((id, err) => seen.push([id, err])) };
  };

  it('finds complete messages in one chunk and skips keepalives and other stanzas', () => {
    const { seen, scanner } = collect();
    scanner.push(` <message from="a@x/r" to="b@x/r" id="q1-1-10" type="chat"><body>hi</body></message>  <presence/><message id="q1-2-11"><body>x</body></message>`);
    expect(seen).toEqual([
      ['q1-1-10', false],
      ['q1-2-11', false],
    ]);
    expect(scanner.count).toBe(2);
  });

  it('reassembles a message split at every possible byte', () => {
    const xml = `<message type="chat" id="q2-7-99"><body>split me</body></message>`;
    for (let cut = 1; cut < xml.length; cut++) {
      const { seen, scanner } = collect();
      scanner.push(xml.slice(0, cut));
      scanner.push(xml.slice(cut));
      expect(seen).toEqual([['q2-7-99', false]]);
    }
  });

  it('reports error bounces', () => {
    const { seen, scanner } = collect();
    scanner.push(`<message type="error" id="q1-3-5" from="b@x/r"><body>x</body><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`);
    expect(seen).toEqual([['q1-3-5', true]]);
  });

  it('does not grow without bound on text that holds no message', () => {
    const { scanner } = collect();
    for (let i = 0; i < 1000; i++) scanner.push('          ');
    expect((scanner as unknown as { tail: string }).tail.length).toBeLessThanOrEqual(8);
  });
});
