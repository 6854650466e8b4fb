import baseConfig from '../../eslint.config.mjs';

export default [
  ...baseConfig,
  {
    // The browser page is bundled on its own: of the workspace it may import the contracts
    // (plain data and types) and nothing that needs Node or Nest.
    files: ['src/page/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@gatehouse/*',
                '!@gatehouse/shared',
                '@gatehouse/shared/*',
                '!@gatehouse/shared/contracts',
              ],
              message: 'The page may import only @gatehouse/shared/contracts.',
            },
            {
              group: ['node:*', '@nestjs/*', '../app/*'],
              message:
                'The page runs in the browser: no Node, Nest or server code.',
            },
          ],
        },
      ],
    },
  },
];
