import { ConfigSchema } from './load-config';

export interface AppConfigSchema {
  app: string;
  schema: ConfigSchema;
}

interface Use {
  app: string;
  default: string | undefined;
  accepts: string;
  description: string;
}

// "unset" and "empty" are words, not values: the app runs without the variable.
function shownDefault(value: string | undefined): string {
  if (value === undefined) return 'required';
  return /^(unset|empty)\b/.test(value) ? value : `\`${value}\``;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

// One column's text for a variable several apps read: the shared value, or each app's own.
function merged(uses: Use[], show: (use: Use) => string): string {
  const shown = uses.map(show);
  if (shown.every((text) => text === shown[0])) return shown[0];
  return uses.map((use, i) => `${use.app}: ${shown[i]}`).join('; ');
}

// The configuration reference as a Markdown table: one row per variable, in the order the
// apps first declare them, with the apps that read it, its default, what it accepts and
// what it means. Generated from the schemas, so it cannot drift from what the apps parse.
export function configTable(apps: readonly AppConfigSchema[]): string {
  const byName = new Map<string, Use[]>();
  for (const { app, schema } of apps)
    for (const [name, variable] of Object.entries(schema)) {
      const uses = byName.get(name) ?? [];
      uses.push({
        app,
        default: variable.default,
        accepts: variable.accepts,
        description: variable.description,
      });
      byName.set(name, uses);
    }
  const rows = [...byName].map(([name, uses]) => [
    `\`${name}\``,
    uses.length === apps.length ? 'all' : uses.map((use) => use.app).join(', '),
    merged(uses, (use) => shownDefault(use.default)),
    merged(uses, (use) => use.accepts),
    merged(uses, (use) => use.description),
  ]);
  return [
    ['variable', 'apps', 'default', 'accepts', 'meaning'],
    ['---', '---', '---', '---', '---'],
    ...rows,
  ]
    .map((row) => `| ${row.map(cell).join(' | ')} |`)
    .join('\n');
}
