import { configTable } from './config-table';
import { int, list, oneOf, optional, str, url } from './env-var';
import { serverSchema } from './load-config';

describe('configTable', () => {
  const table = configTable([
    {
      app: 'one',
      schema: {
        ...serverSchema(3000),
        DELAY_MS: int('Hold | delay', { default: 2000, min: 0 }),
        SECRET: optional(str('A secret')),
        HOSTS: list('Hosts'),
        MODE: oneOf('Mode', ['a', 'b'] as const, 'a'),
      },
    },
    {
      app: 'two',
      schema: {
        ...serverSchema(3001),
        MODE: oneOf('Mode, as in one', ['a', 'b'] as const, 'a'),
        URI: url('Where', { protocols: ['redis:'] }),
      },
    },
    { app: 'three', schema: serverSchema(3002) },
  ]);
  const row = (name: string) =>
    table.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));

  it('has one row per variable, in the order the apps declare them', () => {
    const names = table
      .split('\n')
      .slice(2)
      .map((line) => /^\| `(\w+)`/.exec(line)?.[1]);
    expect(names).toEqual([
      'PORT',
      'HOST',
      'LOG_LEVEL',
      'DELAY_MS',
      'SECRET',
      'HOSTS',
      'MODE',
      'URI',
    ]);
  });

  it('shows defaults as values, words or "required", and each app its own', () => {
    expect(row('PORT')).toBe(
      '| `PORT` | all | one: `3000`; two: `3001`; three: `3002` | an integer in 1..65535 | TCP port to listen on |',
    );
    expect(row('DELAY_MS')).toBe(
      '| `DELAY_MS` | one | `2000` | an integer ≥ 0 | Hold \\| delay |',
    );
    expect(row('SECRET')).toBe('| `SECRET` | one | unset | text | A secret |');
    expect(row('HOSTS')).toBe(
      '| `HOSTS` | one | empty | a comma-separated list | Hosts |',
    );
    expect(row('URI')).toBe(
      '| `URI` | two | required | an absolute redis URL | Where |',
    );
  });

  it('names each app where apps describe a variable differently', () => {
    expect(row('MODE')).toBe(
      '| `MODE` | one, two | `a` | one of a, b | one: Mode; two: Mode, as in one |',
    );
  });
});
