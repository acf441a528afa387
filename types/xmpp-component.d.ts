// Minimal typings for @xmpp/component (the package ships none): what the tests use.
declare module '@xmpp/component' {
  import type { XmlElement } from '@xmpp/client';
  export { xml } from '@xmpp/client';
  export interface XmppComponent {
    start(): Promise<{ toString(): string; domain: string }>;
    stop(): Promise<void>;
    send(el: XmlElement): Promise<void>;
    on(event: string, cb: (...args: any[]) => void): void;
    reconnect: { stop(): void };
    iqCallee: { get(ns: string, name: string, handler: (ctx: { stanza: XmlElement; from: unknown }) => XmlElement | Promise<XmlElement>): void };
    status: string;
  }
  export function component(options: { service: string; domain: string; password: string }): XmppComponent;
}
