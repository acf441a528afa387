// Minimal typings for @xmpp/client (the package ships none): what the tests use.
declare module '@xmpp/client' {
  export interface XmlElement {
    name: string;
    attrs: Record<string, string>;
    children: Array<XmlElement | string>;
    getChild(name: string, xmlns?: string): XmlElement | undefined;
    getChildren(name: string, xmlns?: string): XmlElement[];
    getChildText(name: string, xmlns?: string): string | null;
    getText(): string;
    text(): string;
    is(name: string, xmlns?: string): boolean;
    toString(): string;
  }
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: Array<XmlElement | string | undefined>): XmlElement;
  export interface XmppClient {
    start(): Promise<{ toString(): string; local: string; domain: string; resource: string }>;
    stop(): Promise<void>;
    send(el: XmlElement): Promise<void>;
    on(event: string, cb: (...args: any[]) => void): void;
    reconnect: { stop(): void };
    iqCaller: { request(el: XmlElement, timeout?: number): Promise<XmlElement> };
    status: string;
  }
  export function client(options: Record<string, unknown>): XmppClient;
}
