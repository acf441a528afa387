import { uniqueNamespace, waitFor, withDatabase } from './infra';

describe('test infrastructure helpers', () => {
  it('make NATS-safe unique namespaces', () => {
    const a = uniqueNamespace();
    expect(a).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(uniqueNamespace()).not.toBe(a);
  });

  it('swap the database of a Postgres URL', () => {
    expect(withDatabase('postgres://u:p@h:5432/postgres', 'x')).toBe('postgres://u:p@h:5432/x');
  });

  it('wait for a condition and report what timed out', async () => {
    let n = 0;
    await expect(waitFor(() => ++n >= 3, { intervalMs: 1 })).resolves.toBe(true);
    await expect(waitFor(() => false, { timeoutMs: 30, intervalMs: 5, what: 'the moon' })).rejects.toThrow(/the moon/);
  });
});
