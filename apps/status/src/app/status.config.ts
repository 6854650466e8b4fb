import { ConfigOf, serverSchema, str } from '@gatehouse/shared/config';

export const statusConfigSchema = {
  ...serverSchema(3002),
  MONGODB_URI: str('MongoDB connection string', {
    pattern: /^mongodb(\+srv)?:\/\//,
  }),
};

export type StatusConfig = ConfigOf<typeof statusConfigSchema>;
