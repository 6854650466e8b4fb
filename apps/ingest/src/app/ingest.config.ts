import { ConfigOf, serverSchema, str } from '@gatehouse/shared/config';
import { scanWriteConcern } from '@gatehouse/scans/data-access';

export const ingestConfigSchema = {
  ...serverSchema(3001),
  MONGODB_URI: str('MongoDB connection string', {
    pattern: /^mongodb(\+srv)?:\/\//,
  }),
  MONGODB_WRITE_CONCERN: scanWriteConcern(
    'Members that acknowledge a scan-store write: majority (default) or a number',
  ),
};

export type IngestConfig = ConfigOf<typeof ingestConfigSchema>;
