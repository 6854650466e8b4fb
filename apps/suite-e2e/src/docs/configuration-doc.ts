/* eslint-disable @nx/enforce-module-boundaries --
   The configuration reference is generated from each app's own schema: this module reads
   every app's config file, and nothing else of theirs. */
import { backendSchema } from '../../../backend/src/app/backend.config';
import { consoleConfigSchema } from '../../../console/src/app/console.config';
import { gatewaySchema } from '../../../gateway/src/app/gateway.config';
import { ingestConfigSchema } from '../../../ingest/src/app/ingest.config';
import { processorConfigSchema } from '../../../processor/src/app/processor.config';
import { statusConfigSchema } from '../../../status/src/app/status.config';
/* eslint-enable @nx/enforce-module-boundaries */
import { configTable } from '@gatehouse/shared/config';
import { workspaceRoot } from '@gatehouse/shared/testing';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export const CONFIGURATION_DOC = join(
  workspaceRoot(),
  'docs',
  'configuration.md',
);
export const CONFIGURATION_DOC_SCRIPT = 'npm run docs:config';

const PREAMBLE = `# Configuration

<!-- Generated from the apps' config schemas by \`${CONFIGURATION_DOC_SCRIPT}\`: edit the
schemas, not this file. A unit test fails when the two differ. -->

Each app reads its settings from environment variables, never from a \`.env\` file. Every
variable is validated at start-up, by the app's schema as the \`validate\` of its
\`@nestjs/config\` \`ConfigModule\`: a bad value stops the app with one JSON line that names
the variable, and exit code 1. Providers get the parsed values from \`ConfigService\`.
Rules across variables are checked too: \`MAX_WORK_MS\` ≥ \`MIN_WORK_MS\`, \`POLL_MAX_MS\` ≥
\`POLL_MIN_MS\`, and \`JWT_SECRET\` must encode at least 16 bytes in its \`JWT_SECRET_ENCODING\`.

\`npm start\` sets \`PORT\` for each app from \`BACKEND_PORT\`, \`GATEWAY_PORT\`, \`INGEST_PORT\`,
\`STATUS_PORT\`, \`PROCESSOR_PORT\` and \`CONSOLE_PORT\`, points the gateway and the console at
the other apps, and, when \`MONGODB_URI\` is unset, provides the embedded test database's
(see [operations](operations.md#npm-start)).
`;

// Every app, in the order its variables are listed.
const APPS = [
  { app: 'gateway', schema: gatewaySchema },
  { app: 'backend', schema: backendSchema },
  { app: 'ingest', schema: ingestConfigSchema },
  { app: 'status', schema: statusConfigSchema },
  { app: 'processor', schema: processorConfigSchema },
  { app: 'console', schema: consoleConfigSchema },
];

// The whole file, formatted as `nx format:check` expects it. Prettier runs in a child
// process: its API loads plugins with dynamic imports, which jest's CommonJS sandbox refuses.
export function configurationDoc(): string {
  const markdown = `${PREAMBLE}\n${configTable(APPS)}\n`;
  return execFileSync(
    process.execPath,
    [
      require.resolve('prettier/bin/prettier.cjs'),
      '--stdin-filepath',
      CONFIGURATION_DOC,
    ],
    { input: markdown, encoding: 'utf8' },
  );
}
