// Review Bot's pinned ESLint flat config: core rules that find bugs and injection sinks.
// It loads nothing from the reviewed repo (its plugins never run) and is passed with
// --no-config-lookup, so the repo's eslint.config.* / .eslintrc* never run. The only import
// is the TypeScript parser installed beside our eslint, at the absolute path Review Bot
// passes in REVIEW_BOT_TS_PARSER (unset: TypeScript files are not given to eslint).
import { pathToFileURL } from "node:url";

const tsParserPath = process.env.REVIEW_BOT_TS_PARSER;
const tsParser = tsParserPath ? (await import(pathToFileURL(tsParserPath).href)).default : null;

// Not here: require-atomic-updates (out of eslint's recommended set for its false positives) and
// no-await-in-loop (fires on deliberately sequential code): both were mostly noise on real
// commits.
const RULES = {
  "no-eval": "error",
  "no-implied-eval": "error",
  "no-new-func": "error",
  "no-script-url": "error",
  "no-unsafe-finally": "error",
  "no-unsafe-negation": "error",
  "no-unsafe-optional-chaining": "error",
  "no-unreachable": "warn",
  "no-dupe-keys": "error",
  "no-dupe-args": "error",
  "no-duplicate-case": "error",
  "no-self-assign": "warn",
  "no-self-compare": "warn",
  "no-cond-assign": "error",
  "no-constant-binary-expression": "error",
  "no-compare-neg-zero": "error",
  "no-async-promise-executor": "error",
  "no-promise-executor-return": "error",
  "no-loss-of-precision": "error",
  "no-sparse-arrays": "warn",
  "use-isnan": "error",
  "valid-typeof": "error",
  "array-callback-return": "error",
  "getter-return": "error",
  "no-setter-return": "error",
  "no-import-assign": "error",
  "no-const-assign": "error",
  "no-class-assign": "error",
  "no-func-assign": "error",
};

// Core rules that misread TypeScript (overloads, declaration merging, type-only names).
const NOT_FOR_TYPESCRIPT = ["no-dupe-class-members", "no-redeclare", "no-undef", "no-unused-vars"];
const TS_RULES = Object.fromEntries(
  Object.entries(RULES).filter(([name]) => !NOT_FOR_TYPESCRIPT.includes(name)),
);

export default [
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs", "**/*.jsx"],
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "module",
      parserOptions: { ecmaFeatures: { jsx: true } },
    },
    linterOptions: { reportUnusedDisableDirectives: "off" },
    rules: RULES,
  },
  ...(tsParser
    ? [
        {
          files: ["**/*.ts", "**/*.tsx", "**/*.mts", "**/*.cts"],
          languageOptions: {
            parser: tsParser,
            ecmaVersion: "latest",
            sourceType: "module",
            parserOptions: { ecmaFeatures: { jsx: true } },
          },
          linterOptions: { reportUnusedDisableDirectives: "off" },
          rules: TS_RULES,
        },
      ]
    : []),
];
