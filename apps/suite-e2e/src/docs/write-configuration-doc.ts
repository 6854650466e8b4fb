// `npm run docs:config`: writes docs/configuration.md from the apps' config schemas.
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { CONFIGURATION_DOC, configurationDoc } from './configuration-doc';

writeFileSync(CONFIGURATION_DOC, configurationDoc());
process.stdout.write(`wrote ${relative(process.cwd(), CONFIGURATION_DOC)}\n`);
