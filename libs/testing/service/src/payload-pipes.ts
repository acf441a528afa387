// Calls a controller method the way the bus transport does with its payload: through
// the pipes declared on its @Payload() parameter (the global ObjectPayloadPipe first),
// so unit tests with @nestjs/testing exercise the same input preparation.
import { PipeTransform } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RpcParamtype } from '@nestjs/microservices/enums/rpc-paramtype.enum';
import { ObjectPayloadPipe } from '@parley/nats';

type Pipe = PipeTransform | (new () => PipeTransform);

/** Runs `controller[method](payload)` after the payload pipes, as a bus request would. */
export async function callWithPayloadPipes<R>(controller: object, method: string, payload: unknown): Promise<R> {
  const args: Record<string, { index: number; pipes?: Pipe[] }> = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller.constructor, method) ?? {};
  const params: unknown[] = [];
  for (const [key, { index, pipes = [] }] of Object.entries(args)) {
    if (Number(key.split(':')[0]) !== RpcParamtype.PAYLOAD) continue;
    let v = new ObjectPayloadPipe().transform(payload);
    for (const p of pipes) v = await (typeof p === 'function' ? new p() : p).transform(v, { type: 'custom' });
    params[index] = v;
  }
  return (controller as Record<string, (...a: unknown[]) => Promise<R>>)[method](...params);
}
