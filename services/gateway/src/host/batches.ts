// Questions many sessions ask at once (a login storm, a burst of messages to offline
// users), asked as one: `dataloader` gathers the keys of one turn of the event loop
// (setImmediate: every socket read of the poll phase has asked by then). Nothing is
// cached between batches; each reads current data.
import { BusUnavailableError } from '@parley/nats';
import DataLoader from 'dataloader';

/** Batches of the keys asked in one event-loop turn, at most `max` each, all sent at once. */
export function turnBatches<K, V>(load: (keys: readonly K[]) => Promise<V[]>, max: number): DataLoader<K, V> {
  return new DataLoader<K, V>(load, { cache: false, maxBatchSize: max, batchScheduleFn: (run) => setImmediate(run) });
}

/**
 * {@link turnBatches} with one batch in flight at a time: while a batch is answered the
 * next one keeps gathering, so a storm becomes a few large batches, and a quiet server
 * pays no wait but the turn.
 */
export function serialBatches<K, V>(load: (keys: readonly K[]) => Promise<V[]>, max: number): DataLoader<K, V> {
  let running = false;
  const waiting: Array<() => void> = [];
  const next = (): void => {
    const run = waiting.shift();
    if (!run) running = false;
    else setImmediate(run);
  };
  return new DataLoader<K, V>(
    (keys) => {
      const answered = load(keys);
      answered.then(next, next);
      return answered;
    },
    {
      cache: false,
      maxBatchSize: max,
      batchScheduleFn: (run) => {
        if (running) waiting.push(run);
        else {
          running = true;
          setImmediate(run);
        }
      },
    },
  );
}

/**
 * Asks a batched bus subject; when nobody answers it (a service from before that
 * subject, during a rolling upgrade) asks the single-key subject for each key instead.
 */
export async function batchedOrEach<K, V>(keys: readonly K[], batched: (keys: K[]) => Promise<V[]>, single: (key: K) => Promise<V>): Promise<V[]> {
  try {
    return await batched([...keys]);
  } catch (e) {
    if (!(e instanceof BusUnavailableError && e.reason === 'no-responders')) throw e;
    return Promise.all(keys.map(single));
  }
}
