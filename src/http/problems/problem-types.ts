/**
 * RFC 9457 problem types: one stable, human-readable `title` per `type` (the occurrence's
 * specifics go in `detail`), so clients may show or match the title and it never varies.
 * Keys are AppError codes plus the two the error middleware uses for errors without one.
 */
const TITLES: Readonly<Record<string, string>> = {
  validation_failed: 'The request is invalid',
  not_found: 'Not found',
  unauthorized: 'Authentication required',
  forbidden: 'Not allowed',
  conflict: 'Conflicts with the current state',
  payload_too_large: 'Request body too large',
  unsupported_media_type: 'Unsupported media type',
  method_not_allowed: 'Method not allowed',
  too_many_requests: 'Too many requests',
  storage_unavailable: 'Storage unavailable',
  lab_access_denied: 'Not a member of the lab',
  import_invalid: 'The import is invalid',
  bad_request: 'Bad request',
  internal: 'Internal error',
};

const PROBLEM_BASE = 'https://gatehouse.dev/problems/';

export function problemType(code: string): string {
  return `${PROBLEM_BASE}${code}`;
}

/** The title of a problem type; a code missing from the table still gets a fixed one. */
export function problemTitle(code: string): string {
  const known = TITLES[code];
  if (known) return known;
  const words = code.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
