// application/json and any structured-syntax suffix type such as application/problem+json.
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  const essence = (
    semicolon === -1 ? contentType : contentType.slice(0, semicolon)
  )
    .trim()
    .toLowerCase();
  return (
    essence === 'application/json' ||
    (essence.endsWith('+json') && essence.includes('/'))
  );
}
