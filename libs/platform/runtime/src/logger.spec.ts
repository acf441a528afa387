import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACTED_KEYS, loggableAddress, loggerOptions } from './logger';

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

  it('log database and bus errors without their parameters, details or payloads', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) });
    const log = pino(loggerOptions(), sink);
    // the shape of TypeORM's QueryFailedError around a pg error
    const driverError = Object.assign(new Error('duplicate key value violates unique constraint "offline_pkey"'), {
      code: '23505',
      detail: 'Key (id)=(secret-body-marker) already exists.',
      constraint: 'offline_pkey',
      table: 'offline_message',
      parameters: ['secret-body-marker', Buffer.from('storedkey-marker')],
    });
    const queryFailed = Object.assign(new Error(driverError.message), {
      name: 'QueryFailedError',
      query: 'INSERT INTO offline_message (owner, stanza) VALUES ($1, $2)',
      parameters: ['alice@localhost', '<message><body>secret-body-marker</body></message>'],
      driverError,
      code: '23505',
      cause: driverError,
    });
    log.error({ err: queryFailed }, 'store failed');
    log.warn({ error: Object.assign(new Error('publish failed'), { data: 'payload-marker' }) }, 'bus');
    const out = lines.join('');
    expect(out).not.toMatch(/secret-body-marker|storedkey-marker|payload-marker|c3RvcmVka2V5/);
    const rec = JSON.parse(lines[0]);
    expect(rec.err).toMatchObject({ type: 'QueryFailedError', code: '23505', message: expect.stringContaining('duplicate key') });
    expect(rec.err.cause).toMatchObject({ code: '23505', constraint: 'offline_pkey', table: 'offline_message' });
  });
});
