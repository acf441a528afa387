import { areaOf, summarizeProfile } from './profile-summary';

describe('areaOf', () => {
  it('names the part of the system a frame belongs to', () => {
    expect(areaOf('write', 'file:///work/main/dist/libs/xmpp/xml/src/parser.js')).toBe('XML parser/serializer (@parley/xml)');
    expect(areaOf('route', 'file:///work/main/dist/services/gateway/src/routing/router.js')).toBe('gateway routing');
    expect(areaOf('publish', 'file:///work/main/node_modules/nats/lib/nats-base-client/protocol.js')).toBe('NATS client');
    expect(areaOf('x', 'file:///work/main/node_modules/@scope/pkg/index.js')).toBe('node_modules/@scope/pkg');
    expect(areaOf('onStreamRead', 'node:internal/stream_base_commons')).toBe('node core (stream_base_commons)');
    expect(areaOf('connect', 'node:net')).toBe('node core (net)');
    expect(areaOf('(garbage collector)', '')).toBe('garbage collection');
    expect(areaOf('writev', '')).toBe('native: writev');
  });
});

describe('summarizeProfile', () => {
  it('attributes self time from samples, excluding idle from the busy share and the top list', () => {
    const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 9 });
    const s = summarizeProfile({
      nodes: [
        { id: 1, callFrame: frame('(root)') },
        { id: 2, callFrame: frame('(idle)') },
        { id: 3, callFrame: frame('parse', 'file:///r/dist/libs/xmpp/xml/src/parser.js') },
        { id: 4, callFrame: frame('(garbage collector)') },
      ],
      samples: [2, 2, 3, 3, 3, 3, 3, 3, 4, 4],
      startTime: 0,
      endTime: 2_000_000,
    });
    expect(s.durationMs).toBe(2000);
    expect(s.busyPercent).toBe(80);
    expect(s.topFunctions[0]).toEqual({ fn: 'parse', where: 'dist/libs/xmpp/xml/src/parser.js:10', percent: 60 });
    expect(s.topFunctions.map((f) => f.fn)).not.toContain('(idle)');
    expect(s.areas).toEqual([
      { area: 'XML parser/serializer (@parley/xml)', percent: 60 },
      { area: 'garbage collection', percent: 20 },
    ]);
  });
});
