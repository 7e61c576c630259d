// Lint (npm run lint, which npm test runs): neostandard, as Fastify's own projects lint, with its
// TypeScript support, over src/, test/, scripts/ and bench/. Where a rule fights the house style
// it is set below, with why.
import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'build/**', 'coverage/**', '.tap/**', '.cache/**'] }),
  {
    rules: {
      // House style writes `function name(args)`, as TypeScript's and Node's own sources do.
      '@stylistic/space-before-function-paren': ['error', { anonymous: 'always', named: 'never', asyncArrow: 'always' }],
      // Tables of cases and result rows put several short properties on a line and go on below.
      '@stylistic/object-property-newline': 'off',
      // A promise's resolver is named for what it waits for (`done`, `exited`), not `resolve`.
      'promise/param-names': 'off',
      // `void` marks a result dropped on purpose: a promise handled elsewhere, an arrow returning nothing.
      'no-void': 'off',
      // Loops that poll a flag which a callback sets between their awaits.
      'no-unmodified-loop-condition': 'off',
      // A variable a closure reads before its one assignment (a logger that arrives later).
      'prefer-const': ['error', { destructuring: 'all', ignoreReadBeforeAssign: true }],
    },
  },
]
