import { ConfigError, describeConfig, loadConfig, opt, parseBytes, parseDuration } from './config';

describe('loadConfig', () => {
  const spec = {
    PORT: opt.int({ doc: 'port', default: 5222, min: 1, max: 65535 }),
    DEBUG: opt.bool({ doc: 'debug', default: false }),
    RETENTION: opt.duration({ doc: 'retention', default: '30d', max: '365d' }),
    MAX: opt.bytes({ doc: 'max', default: '256KiB' }),
    MODE: opt.str({ doc: 'mode', default: 'a', oneOf: ['a', 'b'] }),
    NAME: opt.optionalStr({ doc: 'name' }),
  };

  it('applies defaults when the environment is empty', () => {
    expect(loadConfig(spec, {})).toEqual({
      PORT: 5222,
      DEBUG: false,
      RETENTION: 30 * 86_400_000,
      MAX: 262144,
      MODE: 'a',
      NAME: undefined,
    });
  });

  it('reads and converts values from the environment', () => {
    const c = loadConfig(spec, { PORT: '15222', DEBUG: 'yes', RETENTION: '90s', MAX: '1MiB', MODE: 'b', NAME: 'x' });
    expect(c).toMatchObject({ PORT: 15222, DEBUG: true, RETENTION: 90_000, MAX: 1048576, MODE: 'b', NAME: 'x' });
  });

  it('names every bad variable in one error', () => {
    try {
      loadConfig(spec, { PORT: '70000', DEBUG: 'maybe', RETENTION: '400d', MODE: 'c' });
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const problems = (e as ConfigError).problems.join('\n');
      expect(problems).toMatch(/PORT: "70000" is above the maximum 65535/);
      expect(problems).toMatch(/DEBUG: "maybe" is not a boolean/);
      expect(problems).toMatch(/RETENTION: "400d" is above the maximum/);
      expect(problems).toMatch(/MODE: "c" is not one of a, b/);
    }
  });

  it('reports a required variable that is missing', () => {
    expect(() => loadConfig({ SECRET: opt.str({ doc: 'the secret' }) }, {})).toThrow(/SECRET is required/);
  });

  it('hides the value of a secret option in errors', () => {
    const s = { KEY: opt.int({ doc: 'k', secret: true }) };
    expect(() => loadConfig(s, { KEY: 'hunter2' })).toThrow(/KEY: \(hidden\)/);
  });

  it('parses durations and sizes', () => {
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('250')).toBe(250);
    expect(() => parseDuration('soon')).toThrow();
    expect(parseBytes('2KiB')).toBe(2048);
    expect(() => parseBytes('lots')).toThrow();
  });

  it('documents a spec as a table', () => {
    expect(describeConfig(spec)).toContain('| `PORT` | `5222` | port |');
  });
});
