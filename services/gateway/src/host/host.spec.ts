import pino from 'pino';
import { defineApi, defineModule } from './module';
import { defineHook, Hooks } from './hooks';
import { loadOrder, moduleOptions } from './host';
import { opt } from '@parley/config';

const A = defineApi<{ a: number }>('a');
const B = defineApi<{ b: number }>('b');

describe('module load order', () => {
  it('loads providers before the modules that require or use their API, keeping the listed order otherwise', () => {
    const a = defineModule<{ a: number }>({ name: 'a', provides: A, init: () => ({ a: 1 }) });
    const b = defineModule<{ b: number }>({ name: 'b', provides: B, requires: [A], init: () => ({ b: 2 }) });
    const c = defineModule({ name: 'c', uses: [B], init: () => undefined });
    const d = defineModule({ name: 'd', init: () => undefined });
    expect(loadOrder([c, d, b, a]).map((m) => m.name)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('refuses a missing required API, an API offered twice, and a dependency cycle', () => {
    const needsA = defineModule({ name: 'needs-a', requires: [A], init: () => undefined });
    expect(() => loadOrder([needsA])).toThrow(/needs-a requires API a/);
    const a1 = defineModule<{ a: number }>({ name: 'a1', provides: A, init: () => ({ a: 1 }) });
    const a2 = defineModule<{ a: number }>({ name: 'a2', provides: A, init: () => ({ a: 2 }) });
    expect(() => loadOrder([a1, a2])).toThrow(/offered by a1 and a2/);
    const x = defineModule<{ a: number }>({ name: 'x', provides: A, requires: [B], init: () => ({ a: 1 }) });
    const y = defineModule<{ b: number }>({ name: 'y', provides: B, requires: [A], init: () => ({ b: 1 }) });
    expect(() => loadOrder([x, y])).toThrow(/cycle: x → y → x/);
  });

  it('collects module options and refuses one declared twice', () => {
    const m1 = defineModule({ name: 'm1', options: { M1_X: opt.int({ doc: 'x', default: 1 }) }, init: () => undefined });
    const m2 = defineModule({ name: 'm2', options: { M1_X: opt.int({ doc: 'x again', default: 2 }) }, init: () => undefined });
    expect(Object.keys(moduleOptions([m1]))).toEqual(['M1_X']);
    expect(() => moduleOptions([m1, m2])).toThrow(/M1_X is declared by two modules/);
  });
});

describe('hooks', () => {
  const log = pino({ level: 'silent' });

  it('run higher priorities first, equal ones in registration order; the first true consumes an until hook', async () => {
    const h = new Hooks(log);
    const hook = defineHook<string[], 'until'>('t', 'until');
    h.add(hook, (e) => (e.push('low'), false), -5, 'low');
    h.add(hook, (e) => (e.push('first-0'), false), 0, 'first-0');
    h.add(hook, (e) => (e.push('high'), false), 10, 'high');
    h.add(hook, (e) => (e.push('second-0'), true), 0, 'second-0');
    const seen: string[] = [];
    expect(await h.until(hook, seen)).toBe(true);
    expect(seen).toEqual(['high', 'first-0', 'second-0']);
    expect(h.order(hook)).toEqual(['high', 'first-0', 'second-0', 'low']);
  });

  it('contain a failing handler of an each hook: the others still run', async () => {
    const errors: unknown[] = [];
    const h = new Hooks({ error: (o: unknown) => errors.push(o) } as never);
    const hook = defineHook<string[], 'each'>('e', 'each');
    h.add(hook, () => {
      throw new Error('boom');
    });
    h.add(hook, async () => Promise.reject(new Error('async boom')));
    h.add(hook, (e) => void e.push('ran'));
    const seen: string[] = [];
    h.each(hook, seen);
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['ran']);
    expect(errors).toHaveLength(2);
  });
});
