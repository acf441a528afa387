// Typed, bounded, defaulted and documented configuration from the environment.
// A service declares its options once; loadConfig validates all of them and
// reports every bad value in one error, so a misconfigured start fails clearly.

/** One option: how to parse it, its default, and its documentation. */
export interface Option<T> {
  readonly doc: string;
  /** Default as the raw string an operator would write (shown in docs). */
  readonly defaultRaw?: string;
  /** Marks options whose value must never be printed. */
  readonly secret?: boolean;
  parse(raw: string): T;
}

/** Thrown by {@link loadConfig}; `problems` lists each bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Base = { doc: string; secret?: boolean };

function option<T>(base: Base & { default?: string }, parse: (raw: string) => T): Option<T> {
  return { doc: base.doc, defaultRaw: base.default, secret: base.secret, parse };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `500ms`, `30s`, `15m`, `12h`, `30d` (or a bare number of milliseconds). */
export function parseDuration(raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(raw);
  if (!m) throw new Error(`"${raw}" is not a duration (e.g. 500ms, 30s, 15m, 12h, 30d)`);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']);
}

/** Parses `256KiB`, `1MiB`, `512` (bytes). */
export function parseBytes(raw: string): number {
  const m = /^\s*(\d+)\s*(B|KiB|MiB|GiB|KB|MB|GB)?\s*$/i.exec(raw);
  if (!m) throw new Error(`"${raw}" is not a size (e.g. 262144, 256KiB, 1MiB)`);
  const unit = (m[2] ?? 'B').toLowerCase();
  const mult: Record<string, number> = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3 };
  return Number(m[1]) * mult[unit];
}

function bounded(n: number, raw: string, min?: number, max?: number): number {
  if (min !== undefined && n < min) throw new Error(`"${raw}" is below the minimum ${min}`);
  if (max !== undefined && n > max) throw new Error(`"${raw}" is above the maximum ${max}`);
  return n;
}

/** Option builders. */
export const opt = {
  str: (b: Base & { default?: string; pattern?: RegExp; oneOf?: readonly string[] }) =>
    option(b, (raw) => {
      if (b.oneOf && !b.oneOf.includes(raw)) throw new Error(`"${raw}" is not one of ${b.oneOf.join(', ')}`);
      if (b.pattern && !b.pattern.test(raw)) throw new Error(`"${raw}" does not match ${b.pattern}`);
      return raw;
    }),
  /** Optional string: absent or empty gives undefined. */
  optionalStr: (b: Base) => ({ ...option<string | undefined>({ ...b, default: '' }, (raw) => (raw === '' ? undefined : raw)) }),
  int: (b: Base & { default?: number; min?: number; max?: number }) =>
    option({ ...b, default: b.default?.toString() }, (raw) => {
      if (!/^-?\d+$/.test(raw.trim())) throw new Error(`"${raw}" is not an integer`);
      return bounded(Number(raw), raw, b.min, b.max);
    }),
  bool: (b: Base & { default?: boolean }) =>
    option({ ...b, default: b.default?.toString() }, (raw) => {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      throw new Error(`"${raw}" is not a boolean (true/false)`);
    }),
  /** Milliseconds, from `30s`, `30d`, ... */
  duration: (b: Base & { default?: string; min?: string; max?: string }) =>
    option(b, (raw) =>
      bounded(parseDuration(raw), raw, b.min ? parseDuration(b.min) : undefined, b.max ? parseDuration(b.max) : undefined),
    ),
  /**
   * A retention period bounded by the privacy policy: at most `policy` (a key of
   * {@link RETENTION_POLICY}, also the default); a longer setting is refused with a message naming the policy.
   */
  retention: (b: Base & { policy: keyof typeof RETENTION_POLICY; min?: string; default?: string }) => {
    const p = RETENTION_POLICY[b.policy];
    return option({ ...b, default: b.default ?? p.max }, (raw) => {
      const ms = parseDuration(raw);
      if (b.min && ms < parseDuration(b.min)) throw new Error(`"${raw}" is below the minimum ${b.min}`);
      if (ms > parseDuration(p.max)) throw new Error(`"${raw}" is longer than the privacy policy allows (${p.what}: at most ${p.max})`);
      return ms;
    });
  },
  /** Bytes, from `256KiB`, ... */
  bytes: (b: Base & { default?: string; min?: number; max?: number }) =>
    option(b, (raw) => bounded(parseBytes(raw), raw, b.min, b.max)),
  /** Comma-separated list; empty gives []. */
  list: (b: Base & { default?: string }) =>
    option(b, (raw) => raw.split(',').map((s) => s.trim()).filter(Boolean)),
  url: (b: Base & { default?: string; protocols?: string[] }) =>
    option(b, (raw) => {
      let u: URL;
      try {
        u = new URL(raw);
      } catch {
        throw new Error(`"${raw}" is not a URL`);
      }
      if (b.protocols && !b.protocols.includes(u.protocol.replace(/:$/, '')))
        throw new Error(`"${raw}" must use ${b.protocols.join(' or ')}`);
      return raw;
    }),
};

/**
 * The retention figures of the privacy policy (docs/data-ownership.md): each is the
 * default and the maximum of its setting, so no deployment keeps data longer than
 * the policy says by configuration.
 */
export const RETENTION_POLICY = {
  archive: { max: '31d', what: 'archived messages (one month)' },
  offline: { max: '30d', what: 'undelivered offline messages' },
  uploads: { max: '10d', what: 'uploaded files' },
  uploadsLongLived: { max: '365d', what: 'uploaded avatars and other long-lived files' },
  deliveryLog: { max: '30d', what: 'the delivery-error log' },
} as const;

/** A set of options keyed by environment variable name. */
export type ConfigSpec = Record<string, Option<unknown>>;
/** The typed values of a spec. */
export type ConfigOf<S extends ConfigSpec> = { [K in keyof S]: S[K] extends Option<infer T> ? T : never };

/**
 * Reads and validates every option of `spec` from `source` (default process.env).
 * Throws one {@link ConfigError} naming every bad or missing variable.
 */
export function loadConfig<S extends ConfigSpec>(spec: S, source: Record<string, string | undefined> = process.env): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, o] of Object.entries(spec)) {
    const raw = source[name] ?? o.defaultRaw;
    if (raw === undefined) {
      problems.push(`${name} is required: ${o.doc}`);
      continue;
    }
    try {
      out[name] = o.parse(raw);
    } catch (e) {
      const shown = o.secret ? '(hidden)' : (e as Error).message;
      problems.push(`${name}: ${shown}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return out as ConfigOf<S>;
}

/** A Markdown table documenting a spec (used to keep the README honest). */
export function describeConfig(spec: ConfigSpec): string {
  const rows = Object.entries(spec).map(
    ([name, o]) => `| \`${name}\` | ${o.defaultRaw === undefined ? '(required)' : o.defaultRaw === '' ? '(unset)' : `\`${o.defaultRaw}\``} | ${o.doc} |`,
  );
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
