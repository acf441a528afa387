import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACTED_KEYS, loggableAddress } from './logger';

describe('operational logs', () => {
  it('hide client addresses unless LOG_IPS is on', () => {
    expect(loggableAddress('203.0.113.7', {})).toBe('hidden');
    expect(loggableAddress('203.0.113.7', { LOG_IPS: 'true' })).toBe('203.0.113.7');
  });

  it('never print passwords or message bodies', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) });
    const log = pino({ redact: { paths: REDACTED_KEYS, censor: '[redacted]' } }, sink);
    log.info({ password: 'hunter2', stanza: { body: 'secret words' } }, 'x');
    expect(lines.join('')).not.toMatch(/hunter2|secret words/);
  });
});
