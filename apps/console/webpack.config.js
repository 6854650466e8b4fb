const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('path');

const outputPath = join(__dirname, '../../dist/apps/console');

module.exports = [
  // The Nest server.
  {
    output: {
      path: outputPath,
      // The page bundle below writes into page/; keep it when this build cleans.
      clean: { keep: /^page\// },
      ...(process.env.NODE_ENV !== 'production' && {
        devtoolModuleFilenameTemplate: '[absolute-resource-path]',
      }),
    },
    plugins: [
      new NxAppWebpackPlugin({
        target: 'node',
        compiler: 'tsc',
        main: './src/main.ts',
        tsConfig: './tsconfig.app.json',
        assets: ['./src/assets'],
        optimization: false,
        outputHashing: 'none',
        generatePackageJson: true,
        sourceMap: true,
      }),
    ],
  },
  // The browser page: plain TypeScript and ECharts, bundled into one script.
  {
    name: 'console-page',
    target: 'web',
    mode: process.env.NODE_ENV === 'development' ? 'development' : 'production',
    context: __dirname,
    entry: { console: './src/page/console.page.ts' },
    output: {
      path: join(outputPath, 'page'),
      filename: '[name].js',
      clean: true,
    },
    resolve: {
      extensions: ['.ts', '.js'],
      // The page's one workspace import: the contracts, which hold no Node-only code.
      alias: {
        '@gatehouse/shared/contracts': join(
          __dirname,
          '../../libs/shared/contracts/src/index.ts',
        ),
      },
    },
    module: {
      rules: [
        {
          test: /\.ts$/,
          loader: 'ts-loader',
          options: { configFile: 'tsconfig.page.json', transpileOnly: false },
          exclude: /node_modules/,
        },
      ],
    },
    performance: { hints: false },
    devtool: false,
  },
];
