// Injection tokens of the profile service.

/** The validated {@link ProfileConfig}. */
export const PROFILE_CONFIG = Symbol('PROFILE_CONFIG');
