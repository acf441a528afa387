// The bus modules get in production: the platform Bus, narrowed to what modules may
// use, with its ordered stream replay (read models rebuilt at start, such as the
// archive preferences).
import type { StreamSpec } from '@parley/contracts';
import type { Bus } from '@parley/nats';
import type { ModuleBus, StreamReplay } from './module';

/** Adapts the platform Bus to what modules may use. */
export function moduleBus(bus: Bus): ModuleBus {
  return {
    publish: (subject, data) => bus.publish(subject, data),
    subscribe: (subject, handler, opts) => bus.subscribe(subject, handler, opts),
    request: (subject, data, opts) => bus.request(subject, data, opts),
    serve: (subject, handler, opts) => bus.serve(subject, handler, opts),
    ensureStreams: (specs) => bus.ensureStreams(specs),
    consume: (opts) => bus.consume(opts),
    publishEvent: (event, subject, opts) => bus.publishEvent(event, subject, opts),
    replay: (spec, onMessage) => replay(bus, spec, onMessage),
    maxPayload: () => bus.maxPayload(),
  };
}

/** An ordered replay of a stream from its start, through the platform Bus (read models rebuilt at start). */
function replay(bus: Bus, spec: StreamSpec, onMessage: (data: Uint8Array) => void): Promise<StreamReplay> {
  return bus.replay(spec, (_subject, data) => onMessage(data));
}
