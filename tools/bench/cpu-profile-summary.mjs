// Self-time shares of busy time in a .cpuprofile (node --cpu-prof), by function and by package, for ADR notes.
// Usage: node tools/bench/cpu-profile-summary.mjs <file.cpuprofile> [--top 25]
import { readFileSync } from 'node:fs';

const [file] = process.argv.slice(2);
const topIndex = process.argv.indexOf('--top');
const top = topIndex === -1 ? 25 : Number(process.argv[topIndex + 1]);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
const deltas = profile.timeDeltas;
profile.samples.forEach((id, i) => {
  self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0));
});
// Shares are of busy time: idle samples (waiting on the load generator) are left out.
const idle = new Set(
  profile.nodes
    .filter((node) => node.callFrame.functionName === '(idle)')
    .map((node) => node.id),
);
for (const id of idle) self.delete(id);
const total = [...self.values()].reduce((a, b) => a + b, 0);

function packageOf(url) {
  if (url === '') return '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) {
    const rest = url.slice(modules + 13).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return url;
  if (url.includes('/dist/')) return 'gateway';
  return url;
}

const functions = new Map();
const packages = new Map();
for (const [id, time] of self) {
  const frame = byId.get(id).callFrame;
  const name = `${frame.functionName || '(anonymous)'} ${packageOf(frame.url)}`;
  functions.set(name, (functions.get(name) ?? 0) + time);
  const pkg = packageOf(frame.url);
  packages.set(pkg, (packages.get(pkg) ?? 0) + time);
}
const share = (time) => `${((100 * time) / total).toFixed(1)}%`;
const table = (map) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, time]) => ({ name, self: share(time) }));
console.log(`${file}: ${(total / 1e6).toFixed(1)} s busy`);
console.table(table(packages));
console.table(table(functions));
