import { ConfigError, loadConfig } from '@gatehouse/shared/config';
import { scansConnectionOptions } from './scans-connection-options';
import { scanWriteConcern } from './scan-write-concern';

const schema = { MONGODB_WRITE_CONCERN: scanWriteConcern('write concern') };
const load = (value?: string) =>
  loadConfig(schema, { MONGODB_WRITE_CONCERN: value }).MONGODB_WRITE_CONCERN;

describe('MONGODB_WRITE_CONCERN (S-5)', () => {
  it('S-5: defaults to majority, and takes majority or a member count', () => {
    expect(load()).toBe('majority');
    expect(load(' ')).toBe('majority');
    expect(load('majority')).toBe('majority');
    expect(load('1')).toBe(1);
    expect(load('3')).toBe(3);
  });

  it.each(['0', '-1', '2.5', 'all', 'MAJORITY', '51', '1e2'])(
    'S-5: refuses %p, naming the variable',
    (value) => {
      expect(() => load(value)).toThrow(ConfigError);
      expect(() => load(value)).toThrow(/^MONGODB_WRITE_CONCERN /);
    },
  );
});

describe('scan store connection options (S-5)', () => {
  it('S-5: writes wait for a majority by default and are retried once after a failover; reads see majority-committed data only', () => {
    const options = scansConnectionOptions('app');
    expect(options.writeConcern).toEqual({ w: 'majority' });
    expect(options.retryWrites).toBe(true);
    expect(options.readConcern).toEqual({ level: 'majority' });
  });

  it('S-5: MONGODB_WRITE_CONCERN sets the write concern', () => {
    expect(scansConnectionOptions('app', 2_000, 2).writeConcern).toEqual({
      w: 2,
    });
  });
});
