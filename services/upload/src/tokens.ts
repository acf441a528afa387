// Injection tokens of the upload service.
/** The validated {@link UploadConfig}. */
export const UPLOAD_CONFIG = Symbol('UPLOAD_CONFIG');
/** The secret signing PUT URLs (UPLOAD_SECRET, or one random per process). */
export const UPLOAD_SECRET = Symbol('UPLOAD_SECRET');
