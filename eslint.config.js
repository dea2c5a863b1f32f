// ESLint flat config for src/, test/, bench/, tools/ and console/ (browser code): the recommended rules
// of ESLint and typescript-eslint (without type information, so a run stays
// fast), import cycles (import-x/no-cycle), and the dependency direction of
// DESIGN.md as no-restricted-imports: the delivery and moderation domains
// know no terminal, no AWS, no HTTP, no database, and nothing of cli/ or service/.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Libraries only adapters may import; each entry says which world it belongs to. */
const adapterLibraries = [
  { names: ['chalk', 'ora', 'cli-table3', 'commander'], world: 'a terminal library' },
  { names: ['fastify', 'http-proxy-3', 'undici', 'node:http', 'node:https', 'http', 'https'], world: 'an HTTP library' },
  { names: ['pg'], world: 'a database library' },
];
const adapterLibraryPatterns = [
  { group: ['@aws-sdk/*', '@smithy/*'], world: 'the AWS SDK' },
  { group: ['@electric-sql/*'], world: 'a database library' },
];
const domainRule = 'src/delivery (outside providers/) and src/moderation are the domain (DESIGN.md):';

// A regex for the dynamic import() selector below: esquery's regex literal
// cannot hold a `/`, so it is written as \x2F.
const escapeForSelector = (name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('/', '\\x2F');
const lazyImportSources = [
  ...adapterLibraries.flatMap(({ names }) => names.map((name) => `^${escapeForSelector(name)}$`)),
  ...adapterLibraryPatterns.flatMap(({ group }) => group.map((glob) => `^${escapeForSelector(glob.replace('/*', '/'))}`)),
  `(^|\\x2F)(cli|service)\\x2F`,
];

/**
 * The domain's import rules for some files: no adapter library, nothing from
 * cli/ or service/ (static or lazy), plus `extra` patterns of their own.
 */
function domainBoundaries(files, ignores, extra) {
  return {
    files,
    ignores,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: adapterLibraries.flatMap(({ names, world }) => names.map((name) => ({ name, message: `${domainRule} ${name} is ${world}; use it in an adapter (cli/, service/, store/, delivery/providers/) behind a port.` }))),
          patterns: [
            ...adapterLibraryPatterns.map(({ group, world }) => ({
              group,
              message: `${domainRule} this is ${world}; use it in an adapter (delivery/providers/, store/) behind a port.`,
            })),
            {
              group: ['**/cli', '**/cli/**', '**/service', '**/service/**'],
              message: `${domainRule} it imports nothing from cli/ or service/ (they depend on it, not the other way round).`,
            },
            ...extra,
          ],
        },
      ],
      // no-restricted-imports does not see import(): heavy modules are loaded lazily here.
      'no-restricted-syntax': [
        'error',
        {
          selector: `ImportExpression > Literal[value=/${lazyImportSources.join('|')}/]`,
          message: `${domainRule} a lazy import() of an adapter library or of cli/ or service/ crosses the boundary too.`,
        },
      ],
    },
  };
}

export default defineConfig(
  {
    ignores: ['dist/', 'node_modules/', 'models/', 'data/', '.mod/', 'coverage/', 'bench/results/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: globals.node,
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      // Text rules and input validation match control characters on purpose
      // (NUL, the ASCII range), which is what this rule forbids.
      'no-control-regex': 'off',
      // Tests match indented YAML and aligned output literally, spaces and all.
      'no-regex-spaces': 'off',
      // `_` marks a parameter or binding kept on purpose (an interface's
      // signature, a destructured field left out of a rest object).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // The moderator console's pages (served as is to the browser): browser globals, not Node's.
    files: ['console/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // Without these, import-x skips the .ts files it reaches and sees no cycle.
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
      // Sources import each other as `./x.js` (NodeNext); the file on disk is x.ts.
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.js', '.mjs', '.json', '.node'],
          extensionAlias: { '.js': ['.ts', '.js'] },
        }),
      ],
    },
    rules: {
      // Type-only imports are erased at run time and are not counted; node_modules is not followed.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  domainBoundaries(['src/delivery/**/*.ts'], ['src/delivery/providers/**'], []),
  domainBoundaries(
    ['src/moderation/**/*.ts'],
    [],
    [
      {
        group: ['**/store', '**/store/**', '**/delivery', '**/delivery/**', '**/git', '**/git/**'],
        message: `${domainRule} moderation knows nothing of the database adapter or the delivery CLI; the store takes moderation's types, not the other way round.`,
      },
    ],
  ),
);
