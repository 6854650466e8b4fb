import { ConfigOf, oneOf, serverSchema, str } from '@gatehouse/shared/config';
import { SCAN_KINDS } from '@gatehouse/shared/contracts';
import { scanWriteConcern } from '@gatehouse/scans/data-access';
import { scanScopeSchema } from '@gatehouse/scans/target-scope';

export const ingestConfigSchema = {
  ...serverSchema(3001),
  MONGODB_URI: str('MongoDB connection string', {
    pattern: /^mongodb(\+srv)?:\/\//,
  }),
  MONGODB_WRITE_CONCERN: scanWriteConcern(
    'Members that acknowledge a scan-store write: majority (default) or a number',
  ),
  DEFAULT_SCAN_KIND: oneOf(
    'The job a scan runs when POST /scans names no kind',
    SCAN_KINDS,
    'simulated',
  ),
  ...scanScopeSchema,
};

export type IngestConfig = ConfigOf<typeof ingestConfigSchema>;

export const INGEST_CONFIG = Symbol('INGEST_CONFIG');
