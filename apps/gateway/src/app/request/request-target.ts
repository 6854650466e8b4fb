// The request-target split at its query: the gateway counts, logs and routes by path alone.
export function pathOf(target: string): string {
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

// The query string without its "?", or undefined when the target has none.
export function queryOf(target: string): string | undefined {
  const query = target.indexOf('?');
  return query === -1 ? undefined : target.slice(query + 1);
}
