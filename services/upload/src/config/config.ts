// Configuration of the upload service: typed, bounded, documented (see README).
import { ConfigError, ConfigOf, loadConfig, opt } from '@parley/config';
import { commonOptions } from '@parley/runtime';

/** Every option the upload service reads. */
export const uploadConfigSpec = {
  ...commonOptions('upload'),
  DB_POOL_SIZE: opt.int({ doc: 'Postgres connections of this service.', default: 10, min: 1, max: 200 }),
  UPLOAD_HTTP_PORT: opt.int({ doc: 'Port of the public HTTP listener that takes PUTs and serves GETs (0 = pick one).', default: 5280, min: 0, max: 65535 }),
  UPLOAD_HTTP_HOST: opt.str({
    doc: 'Address the public HTTP listener binds. Loopback by default: put a TLS-terminating ingress or reverse proxy in front (set `0.0.0.0` in a container behind one).',
    default: '127.0.0.1',
  }),
  UPLOAD_PUBLIC_URL: opt.str({
    doc: 'Base URL clients reach the listener at, e.g. `https://upload.example.org` (slot URLs start with it). Empty: `http://<UPLOAD_HTTP_HOST>:<port>` (local development only: clients are told plain HTTP).',
    default: '',
    pattern: /^(https?:\/\/[^\s?#]+)?$/,
  }),
  UPLOAD_TLS_CERT_FILE: opt.optionalStr({ doc: 'PEM certificate chain: the listener speaks HTTPS itself (without an ingress). Needs UPLOAD_TLS_KEY_FILE.' }),
  UPLOAD_TLS_KEY_FILE: opt.optionalStr({ doc: 'PEM private key of UPLOAD_TLS_CERT_FILE.', secret: true }),
  UPLOAD_SECRET: opt.str({
    doc: 'Secret (at least 32 characters) that signs PUT URLs. Set the same value on every replica; empty: a random secret per process (a slot is then accepted only by the replica that granted it, and not after a restart).',
    default: '',
    pattern: /^(.{32,})?$/,
    secret: true,
  }),
  UPLOAD_MAX_FILE_SIZE: opt.bytes({ doc: 'Largest file a slot is granted for (announced as XEP-0363 `max-file-size`).', default: '100MiB', min: 1, max: 5 * 1024 ** 4 }),
  UPLOAD_USER_QUOTA: opt.bytes({
    doc: 'Most bytes one user may hold (stored files plus granted slots); past it a slot is refused with `resource-constraint` and a `<retry/>` time. At least UPLOAD_MAX_FILE_SIZE.',
    default: '1GiB',
    min: 1,
    max: 100 * 1024 ** 4,
  }),
  UPLOAD_DISK_QUOTA: opt.bytes({
    doc: 'Most bytes all users together may hold; past it every slot is refused with `resource-constraint` and a `<retry/>` time. At least UPLOAD_USER_QUOTA.',
    default: '50GiB',
    min: 1,
    max: 1024 ** 5,
  }),
  UPLOAD_OUTBOX_INTERVAL: opt.duration({ doc: 'How often events committed but not yet published (sweep counts; e.g. NATS was briefly down) are retried.', default: '5s', min: '100ms', max: '1h' }),
  UPLOAD_SLOT_TTL: opt.duration({ doc: 'How long a PUT URL is accepted after the slot was granted (XEP-0363 §7 recommends about 60s).', default: '5m', min: '1s', max: '1h' }),
  UPLOAD_RETENTION: opt.retention({
    doc: 'Files uploaded for messages (purpose `message`, and requests without a purpose) are deleted this long after the upload: GETs stop at once, the sweep (`upload.cmd.sweep`, driven by the janitor) deletes file and row. At most the policy\'s 10d.',
    policy: 'uploads',
    min: '1s',
  }),
  UPLOAD_EPHEMERAL_RETENTION: opt.retention({
    doc: 'Retention of purpose `ephemeral` uploads (XEP-0363 v1.2). At most the policy\'s 10d.',
    policy: 'uploads',
    default: '1d',
    min: '1s',
  }),
  UPLOAD_PROFILE_RETENTION: opt.retention({
    doc: 'Retention of purpose `profile` uploads (avatars, XEP-0363 v1.2); also deleted with the account. At most the policy\'s 365d.',
    policy: 'uploadsLongLived',
    min: '1s',
  }),
  UPLOAD_PERMANENT_RETENTION: opt.retention({
    doc: 'Retention of purpose `permanent` uploads (XEP-0363 v1.2); also deleted with the account. At most the policy\'s 365d.',
    policy: 'uploadsLongLived',
    min: '1s',
  }),
  UPLOAD_STORAGE: opt.str({ doc: 'Where files are kept: `fs` (a directory, UPLOAD_DIR) or `s3` (any S3-compatible object store, UPLOAD_S3_*).', default: 'fs', oneOf: ['fs', 's3'] }),
  UPLOAD_DIR: opt.str({ doc: 'Directory of the `fs` storage (a volume of its own in production).', default: '.parley/uploads' }),
  UPLOAD_S3_ENDPOINT: opt.str({ doc: 'Endpoint of the S3-compatible store (e.g. `https://s3.eu-west-1.amazonaws.com`, `http://minio:9000`); empty: AWS by region.', default: '' }),
  UPLOAD_S3_REGION: opt.str({ doc: 'Region of the bucket.', default: 'us-east-1' }),
  UPLOAD_S3_BUCKET: opt.str({ doc: 'Bucket of the `s3` storage (must exist).', default: '' }),
  UPLOAD_S3_ACCESS_KEY_ID: opt.str({ doc: 'Access key of the `s3` storage; empty: the SDK\'s default credential chain (environment, instance role).', default: '' }),
  UPLOAD_S3_SECRET_ACCESS_KEY: opt.str({ doc: 'Secret key of UPLOAD_S3_ACCESS_KEY_ID.', default: '', secret: true }),
  UPLOAD_S3_FORCE_PATH_STYLE: opt.bool({ doc: 'Address the bucket in the path (`endpoint/bucket/key`), as most self-hosted stores need.', default: true }),
  UPLOAD_ALLOWED_ORIGINS: opt.list({
    doc: 'Web origins allowed to PUT and GET from a browser (CORS), comma-separated; `*` for any (files are public to whoever holds the URL anyway).',
    default: '*',
  }),
};

/** The upload service's validated configuration. */
export type UploadConfig = ConfigOf<typeof uploadConfigSpec>;

/** Reads the configuration, throwing one error that names every bad variable. */
export function loadUploadConfig(env: Record<string, string | undefined> = process.env): UploadConfig {
  const c = loadConfig(uploadConfigSpec, env);
  const problems: string[] = [];
  if (c.UPLOAD_USER_QUOTA < c.UPLOAD_MAX_FILE_SIZE) problems.push('UPLOAD_USER_QUOTA must be at least UPLOAD_MAX_FILE_SIZE');
  if (c.UPLOAD_DISK_QUOTA < c.UPLOAD_USER_QUOTA) problems.push('UPLOAD_DISK_QUOTA must be at least UPLOAD_USER_QUOTA');
  if (c.UPLOAD_EPHEMERAL_RETENTION > c.UPLOAD_RETENTION) problems.push('UPLOAD_EPHEMERAL_RETENTION must not be longer than UPLOAD_RETENTION');
  if (!!c.UPLOAD_TLS_CERT_FILE !== !!c.UPLOAD_TLS_KEY_FILE) problems.push('UPLOAD_TLS_CERT_FILE and UPLOAD_TLS_KEY_FILE go together');
  if (c.UPLOAD_STORAGE === 's3' && !c.UPLOAD_S3_BUCKET) problems.push('UPLOAD_S3_BUCKET is required with UPLOAD_STORAGE=s3');
  if (!!c.UPLOAD_S3_ACCESS_KEY_ID !== !!c.UPLOAD_S3_SECRET_ACCESS_KEY) problems.push('UPLOAD_S3_ACCESS_KEY_ID and UPLOAD_S3_SECRET_ACCESS_KEY go together');
  if (problems.length) throw new ConfigError(problems);
  return c;
}
