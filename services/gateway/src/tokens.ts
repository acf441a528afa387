// Injection tokens of the gateway.
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
