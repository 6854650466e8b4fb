import type { PathCount } from './gateway.store';

// G-10 order: count descending, then path ascending. UTF-16 code-unit order of a
// string matches the UTF-8 byte order Redis uses for members with equal scores.
export function byCountThenPath(a: PathCount, b: PathCount): number {
  if (a.count !== b.count) return b.count - a.count;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}
