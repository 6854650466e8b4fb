import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import {
  appConfigModule,
  configProvider,
  withConfig,
} from './app-config.module';
import { ConfigError, int, optional, url } from './env-var';
import { ConfigOf, serverSchema } from './load-config';

const schema = {
  ...serverSchema(3000),
  LOW: int('low', { default: 1 }),
  HIGH: int('high', { default: 5 }),
  UPSTREAM: optional(url('upstream')),
};
type Config = ConfigOf<typeof schema>;
const CONFIG = Symbol('CONFIG');
const check = (c: Config) =>
  c.HIGH < c.LOW ? new ConfigError('HIGH', 'must be >= LOW') : null;

@Injectable()
class Reader {
  constructor(
    @Inject(CONFIG) readonly config: Config,
    readonly service: ConfigService<Config, true>,
  ) {}
}

describe('appConfigModule', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    jest.restoreAllMocks();
  });

  async function resolve(env: Record<string, string>) {
    Object.assign(process.env, env);
    const loaded = await appConfigModule('one', schema, check);
    const app = await Test.createTestingModule({
      imports: [
        withConfig(
          {
            module: class RootModule {},
            providers: [configProvider(CONFIG, schema), Reader],
          },
          loaded,
        ),
      ],
    }).compile();
    return { loaded, reader: app.get(Reader) };
  }

  it('hands providers the validated values, typed and frozen, through ConfigService', async () => {
    const { loaded, reader } = await resolve({ PORT: '9000', UPSTREAM: '' });
    expect(loaded.config).toMatchObject({ PORT: 9000, HIGH: 5 });
    expect(reader.config).toEqual(loaded.config);
    expect(Object.isFrozen(reader.config)).toBe(true);
    expect(reader.service.get('PORT', { infer: true })).toBe(9000);
    // An empty optional stays unset, never the raw "" from the environment.
    expect(reader.config.UPSTREAM).toBeUndefined();
  });

  it('leaves process.env as it was given', async () => {
    delete process.env['LOW'];
    await resolve({ PORT: '9000' });
    expect(process.env['PORT']).toBe('9000');
    expect(process.env['LOW']).toBeUndefined();
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT', 'PORT must be an integer in 1..65535, got "abc"'],
    [{ LOW: '9' }, 'HIGH', 'HIGH must be >= LOW'],
  ])(
    'stops the app on %p with one JSON line naming %s and exit code 1',
    async (env, variable, reason) => {
      const lines: string[] = [];
      jest.spyOn(process.stderr, 'write').mockImplementation((line) => {
        lines.push(String(line));
        return true;
      });
      jest.spyOn(process, 'exit').mockImplementation((code) => {
        throw new Error(`exit ${code}`);
      });
      Object.assign(process.env, env);
      await expect(appConfigModule('one', schema, check)).rejects.toThrow(
        'exit 1',
      );
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0])).toEqual({
        level: 'fatal',
        time: expect.any(Number),
        service: 'one',
        variable,
        msg: `invalid configuration: ${reason}`,
      });
    },
  );
});
