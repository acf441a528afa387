// Injection tokens of the roster service.
/** The validated {@link RosterConfig}. */
export const ROSTER_CONFIG = Symbol('ROSTER_CONFIG');
