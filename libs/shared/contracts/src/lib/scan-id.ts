// S-1: a scan id is a UUID v4, however it is cased; stored and answered in lower case.
export const SCAN_ID_PATTERN =
  /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function isScanId(id: string): boolean {
  return SCAN_ID_PATTERN.test(id);
}
