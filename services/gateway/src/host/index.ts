// The host API modules are written against: import from here, never from the core.
export { CoreHooks } from './core-hooks';
export type { DeliveredEvent, InboundEvent, OfflineEvent, OutboundEvent, OutboundPresenceEvent, PeerBackEvent, PeerGoneEvent, SentEvent, SessionEvent } from './core-hooks';
export { defineHook } from './hooks';
export type { Hook, HookHandler, HookKind } from './hooks';
export { defineApi, defineModule } from './module';
export type { AccountsPort, ApiRef, DiscoView, GatewayModule, ModuleBus, ModuleContext, RouterPort, SessionsPort, StreamReplay } from './module';
export { answerIq, HANDLED } from './registry';
export type { Destination, DiscoNode, FeatureProvider, IqHandler, IqTarget, NonzaHandler, PreAuthContext, PreAuthIqHandler, PreBindNonzaHandler, PreBindStream } from './registry';
export { serviceError } from './service-errors';
export { defineSlot, SlotMap } from './slots';
export type { Slot } from './slots';
export type { Session, SessionTransport } from '../session/session';
export type { ResourceState } from '../session/directory';
export type { OutputStage } from '../session/session';
