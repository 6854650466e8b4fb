import { ConfigOf, serverSchema, str } from '@gatehouse/shared/config';

export const ingestConfigSchema = {
  ...serverSchema(3001),
  MONGODB_URI: str('MongoDB connection string', {
    pattern: /^mongodb(\+srv)?:\/\//,
  }),
};

export type IngestConfig = ConfigOf<typeof ingestConfigSchema>;
