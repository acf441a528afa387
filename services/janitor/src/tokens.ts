// Injection tokens of the janitor service.

/** The validated {@link JanitorConfig}. */
export const JANITOR_CONFIG = Symbol('JANITOR_CONFIG');
