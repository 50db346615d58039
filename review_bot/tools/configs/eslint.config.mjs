// Review Bot's pinned ESLint flat config: core rules that find bugs and injection sinks.
// It loads nothing from the reviewed repo (its plugins never run) and is passed with
// --no-config-lookup, so the repo's eslint.config.* / .eslintrc* never run. The only import
// are the TypeScript parser and the security plugins installed beside our eslint, each at the
// absolute path Review Bot passes in an env variable (REVIEW_BOT_TS_PARSER, and the ones named
// in eslint-plugins.json; unset: that parser or plugin is not used).
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const load = async (path) => {
  const loaded = await import(pathToFileURL(path).href);
  return loaded.default ?? loaded;
};

const tsParserPath = process.env.REVIEW_BOT_TS_PARSER;
const tsParser = tsParserPath ? await load(tsParserPath) : null;

// The security plugins: only the rules eslint-plugins.json chose, each plugin by the path given.
const PLUGIN_TABLE = JSON.parse(
  readFileSync(new URL("./eslint-plugins.json", import.meta.url), "utf8"),
).plugins;
const PLUGINS = {};
const PLUGIN_RULES = {};
for (const [namespace, spec] of Object.entries(PLUGIN_TABLE)) {
  const path = process.env[spec.env];
  if (!path) continue;
  const chosen = Object.keys(spec.rules);
  // rules_dir: the path is that directory; load just the chosen rules, not the whole plugin
  PLUGINS[namespace] = spec.rules_dir
    ? { rules: Object.fromEntries(await Promise.all(chosen.map(async (rule) => [rule, await load(`${path}/${rule}.js`)]))) }
    : await load(path);
  for (const rule of chosen) PLUGIN_RULES[`${namespace}/${rule}`] = "error";
}

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
  "no-await-in-loop": "warn",
  "no-promise-executor-return": "error",
  "no-loss-of-precision": "error",
  "no-sparse-arrays": "warn",
  "use-isnan": "error",
  "valid-typeof": "error",
  "require-atomic-updates": "warn",
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
  ...(Object.keys(PLUGINS).length
    ? [
        {
          files: ["**/*.js", "**/*.mjs", "**/*.cjs", "**/*.jsx"].concat(
            tsParser ? ["**/*.ts", "**/*.tsx", "**/*.mts", "**/*.cts"] : [],
          ),
          plugins: PLUGINS,
          rules: PLUGIN_RULES,
        },
      ]
    : []),
];
