// Injection tokens of the archive service.

/** The validated {@link ArchiveConfig}. */
export const ARCHIVE_CONFIG = Symbol('ARCHIVE_CONFIG');
