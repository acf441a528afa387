// The bus modules get in production: the platform Bus, plus an ordered replay of a
// JetStream stream (read models rebuilt at start, such as the archive preferences).
import type { StreamSpec } from '@parley/contracts';
import type { Bus } from '@parley/nats';
import type { Logger } from 'pino';
import type { ModuleBus, StreamReplay } from './module';

/** Adapts the platform Bus to what modules may use. */
export function moduleBus(bus: Bus, log: Logger): ModuleBus {
  return {
    publish: (subject, data) => bus.publish(subject, data),
    subscribe: (subject, handler, opts) => bus.subscribe(subject, handler, opts),
    request: (subject, data, opts) => bus.request(subject, data, opts),
    ensureStreams: (specs) => bus.ensureStreams(specs),
    consume: (opts) => bus.consume(opts),
    publishEvent: (event, subject) => bus.publishEvent(event, subject),
    replay: (spec, onMessage) => replay(bus, spec, onMessage, log),
  };
}

async function replay(bus: Bus, spec: StreamSpec, onMessage: (data: Uint8Array) => void, log: Logger): Promise<StreamReplay> {
  const stream = bus.streamName(spec);
  const jsm = await bus.nc.jetstreamManager();
  const info = await jsm.streams.info(stream);
  // An ordered consumer starts at the first sequence by default. (Not `deliver_policy: All`:
  // nats.js 2.29 then still sends opt_start_seq, which the server refuses, and retries forever.)
  const consumer = await bus.js.consumers.get(stream, {});
  const messages = await consumer.consume();
  let caughtUp!: () => void;
  const ready = new Promise<void>((resolve) => (caughtUp = resolve));
  if (info.state.messages === 0) caughtUp();
  const loop = (async () => {
    for await (const m of messages) {
      onMessage(m.data);
      if (m.info.pending === 0) caughtUp();
    }
  })().catch((e) => log.error({ err: e, stream }, 'stream replay ended'));
  return {
    caughtUp: ready,
    stop: async () => {
      await messages.close().catch(() => undefined);
      await loop;
    },
  };
}
