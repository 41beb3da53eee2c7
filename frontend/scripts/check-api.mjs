#!/usr/bin/env node
// @ts-check
/**
 * Checks the hand-written API types (src/api/types.ts) against the backend's OpenAPI document.
 *
 *   npm run check:api                         # http://127.0.0.1:8000/openapi.json (or $API_URL/openapi.json)
 *   npm run check:api -- http://host:8000     # a running API
 *   npm run check:api -- path/to/openapi.json # a saved document
 *
 * For each response body the front end reads (found by endpoint, so the backend's schema names do not matter) it
 * compares property names, recursing into nested objects and arrays of objects:
 *   error    a property the API marks required is missing from types.ts (the types have drifted);
 *   error    types.ts has a property the API's schema does not (the UI reads something never sent);
 *   error    an enum (job state, priority, ...) has values on one side only;
 *   warning  types.ts treats a property as always present but the API does not mark it required.
 * Exits 1 on any error. The types stay hand-written on purpose: one small file a reviewer can read.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const TYPES_FILE = path.resolve(HERE, '../src/api/types.ts');

/**
 * Which interface describes which response. `path` is a regular expression over the OpenAPI path, so the name of a
 * path parameter ({id} or {job_id}) does not matter.
 * @type {{ type: string; method: string; path: RegExp; label: string }[]}
 */
export const ENDPOINTS = [
  { type: 'UploadAccepted', method: 'post', path: /^\/api\/v1\/uploads\/?$/, label: 'POST /api/v1/uploads' },
  { type: 'JobList', method: 'get', path: /^\/api\/v1\/jobs\/?$/, label: 'GET /api/v1/jobs' },
  { type: 'Job', method: 'get', path: /^\/api\/v1\/jobs\/\{[^}]+\}\/?$/, label: 'GET /api/v1/jobs/{id}' },
  {
    type: 'ErrorList',
    method: 'get',
    path: /^\/api\/v1\/jobs\/\{[^}]+\}\/errors\/?$/,
    label: 'GET /api/v1/jobs/{id}/errors',
  },
  { type: 'DatasourceList', method: 'get', path: /^\/api\/v1\/datasources\/?$/, label: 'GET /api/v1/datasources' },
];

/**
 * @typedef {{ optional: boolean; nullable: boolean; literals: string[] | null; object: string | null; array: boolean }} TsProp
 * @typedef {Map<string, Map<string, TsProp>>} TsModel  interface name -> property name -> shape
 * @typedef {{ level: 'error' | 'warning'; where: string; text: string }} Problem
 * @typedef {Record<string, any>} Schema
 */

/**
 * Reads every exported interface of a TypeScript source with the type checker (so `extends` and aliases resolve).
 * @param {string} fileName
 * @param {string} [source] the file's text; read from disk when absent
 * @returns {TsModel}
 */
export function readTsModel(fileName, source) {
  const options = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022 };
  const host = ts.createCompilerHost(options);
  if (source !== undefined) {
    const original = host.getSourceFile;
    host.getSourceFile = (name, lang, ...rest) =>
      path.resolve(name) === path.resolve(fileName)
        ? ts.createSourceFile(name, source, lang)
        : original.call(host, name, lang, ...rest);
  }
  const program = ts.createProgram([fileName], options, host);
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(fileName);
  if (!file) throw new Error(`cannot read ${fileName}`);

  /** @type {TsModel} */
  const model = new Map();
  const interfaces = new Set(file.statements.filter(ts.isInterfaceDeclaration).map((d) => d.name.text));

  /** @param {ts.Type} type */
  const describe = (type) => {
    const parts = type.isUnion() ? type.types : [type];
    const nullable = parts.some((t) => (t.flags & ts.TypeFlags.Null) !== 0);
    const rest = parts.filter((t) => (t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)) === 0);
    const literals = rest.every((t) => t.isStringLiteral())
      ? rest.map((t) => /** @type {ts.StringLiteralType} */ (t).value)
      : null;
    let object = null;
    let array = false;
    const only = rest.length === 1 ? rest[0] : undefined;
    if (only) {
      let target = only;
      if (checker.isArrayType(only)) {
        array = true;
        target = checker.getTypeArguments(/** @type {ts.TypeReference} */ (only))[0] ?? only;
      }
      const name = target.getSymbol()?.getName();
      if (name && interfaces.has(name)) object = name;
    }
    return { nullable, literals: literals && literals.length ? literals : null, object, array };
  };

  for (const statement of file.statements) {
    if (!ts.isInterfaceDeclaration(statement)) continue;
    const type = checker.getTypeAtLocation(statement.name);
    /** @type {Map<string, TsProp>} */
    const props = new Map();
    for (const symbol of checker.getPropertiesOfType(type)) {
      const propType = checker.getTypeOfSymbolAtLocation(symbol, statement);
      const optional = (symbol.getFlags() & ts.SymbolFlags.Optional) !== 0;
      props.set(symbol.getName(), { optional, ...describe(propType) });
    }
    model.set(statement.name.text, props);
  }
  return model;
}

/**
 * Follows $ref and unwraps `anyOf: [X, null]` / `allOf: [X]`.
 * @param {Schema} spec
 * @param {Schema | undefined} schema
 * @returns {Schema | undefined}
 */
export function resolve(spec, schema) {
  let s = schema;
  for (let depth = 0; s && depth < 20; depth += 1) {
    if (typeof s.$ref === 'string') {
      const parts = s.$ref.replace(/^#\//, '').split('/');
      /** @type {any} */
      let target = spec;
      for (const p of parts) target = target?.[p.replace(/~1/g, '/').replace(/~0/g, '~')];
      s = target;
      continue;
    }
    const union = s.anyOf ?? s.oneOf;
    if (Array.isArray(union)) {
      const nonNull = union.filter((x) => x?.type !== 'null');
      if (nonNull.length === 1) {
        s = nonNull[0];
        continue;
      }
      return s;
    }
    if (Array.isArray(s.allOf)) {
      /** @type {Schema} */
      const merged = { type: 'object', properties: {}, required: [] };
      for (const part of s.allOf) {
        const r = resolve(spec, part) ?? {};
        Object.assign(merged.properties, r.properties ?? {});
        merged.required.push(...(r.required ?? []));
        if (r.enum) merged.enum = r.enum;
        if (r.type && r.type !== 'object') merged.type = r.type;
      }
      return merged;
    }
    return s;
  }
  return s;
}

/**
 * The response schema of an endpoint (its first 2xx JSON response).
 * @param {Schema} spec
 * @param {{ method: string; path: RegExp }} endpoint
 * @returns {Schema | undefined}
 */
export function responseSchema(spec, endpoint) {
  for (const [p, item] of Object.entries(spec.paths ?? {})) {
    if (!endpoint.path.test(p)) continue;
    const op = item?.[endpoint.method];
    if (!op) continue;
    const codes = Object.keys(op.responses ?? {}).filter((c) => /^2\d\d$/.test(c)).sort();
    for (const code of codes) {
      const schema = op.responses[code]?.content?.['application/json']?.schema;
      if (schema) return resolve(spec, schema);
    }
  }
  return undefined;
}

/**
 * @param {Schema} spec
 * @param {TsModel} model
 * @param {string} typeName
 * @param {Schema} schema
 * @param {string} where
 * @param {Problem[]} problems
 * @param {Set<string>} seen
 */
function compareObject(spec, model, typeName, schema, where, problems, seen) {
  const key = `${typeName}@${where}`;
  if (seen.has(key)) return;
  seen.add(key);
  const props = model.get(typeName);
  if (!props) {
    problems.push({ level: 'error', where, text: `types.ts has no interface ${typeName}` });
    return;
  }
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  for (const name of required) {
    if (!props.has(name)) {
      problems.push({ level: 'error', where, text: `"${name}" is required by the API but missing from ${typeName}` });
    }
  }
  for (const [name, prop] of props) {
    if (!(name in properties)) {
      problems.push({ level: 'error', where, text: `${typeName}.${name} is not in the API's schema` });
      continue;
    }
    if (!prop.optional && !required.has(name)) {
      problems.push({
        level: 'warning',
        where,
        text: `${typeName}.${name} is always present in types.ts, but the API does not mark it required`,
      });
    }
    let target = resolve(spec, properties[name]);
    if (prop.array && target?.type === 'array') target = resolve(spec, target.items);
    if (!target) continue;
    if (prop.literals && Array.isArray(target.enum)) {
      const api = new Set(target.enum.filter((/** @type {unknown} */ v) => v !== null).map(String));
      const ours = new Set(prop.literals);
      const onlyApi = [...api].filter((v) => !ours.has(v));
      const onlyOurs = [...ours].filter((v) => !api.has(v));
      if (onlyApi.length || onlyOurs.length) {
        problems.push({
          level: 'error',
          where,
          text: `${typeName}.${name} values differ: API only [${onlyApi.join(', ')}], types.ts only [${onlyOurs.join(', ')}]`,
        });
      }
    }
    if (prop.object && (target.type === 'object' || target.properties)) {
      compareObject(spec, model, prop.object, target, `${where}.${name}${prop.array ? '[]' : ''}`, problems, seen);
    }
  }
}

/**
 * Compares the hand-written types with an OpenAPI document.
 * @param {Schema} spec
 * @param {TsModel} model
 * @returns {{ problems: Problem[]; compared: string[] }}
 */
export function checkSpec(spec, model) {
  /** @type {Problem[]} */
  const problems = [];
  /** @type {string[]} */
  const compared = [];
  for (const endpoint of ENDPOINTS) {
    const schema = responseSchema(spec, endpoint);
    if (!schema) {
      problems.push({ level: 'error', where: endpoint.label, text: 'no such endpoint with a JSON 2xx response' });
      continue;
    }
    compared.push(`${endpoint.label} -> ${endpoint.type}`);
    compareObject(spec, model, endpoint.type, schema, endpoint.type, problems, new Set());
  }
  return { problems, compared };
}

/**
 * @param {string | undefined} arg
 * @returns {Promise<Schema>}
 */
export async function loadSpec(arg) {
  const source = arg ?? `${process.env.API_URL ?? 'http://127.0.0.1:8000'}/openapi.json`;
  if (/^https?:\/\//.test(source)) {
    const url = new URL(source);
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/openapi.json';
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return /** @type {Schema} */ (await response.json());
  }
  return JSON.parse(await readFile(source, 'utf8'));
}

async function main() {
  const arg = process.argv[2];
  let spec;
  try {
    spec = await loadSpec(arg);
  } catch (error) {
    console.error(`check:api: could not load the OpenAPI document: ${error instanceof Error ? error.message : error}`);
    process.exit(2);
  }
  const { problems, compared } = checkSpec(spec, readTsModel(TYPES_FILE));
  for (const line of compared) console.log(`compared ${line}`);
  for (const p of problems) console.log(`${p.level.toUpperCase()} ${p.where}: ${p.text}`);
  const errors = problems.filter((p) => p.level === 'error').length;
  const warnings = problems.length - errors;
  console.log(`check:api: ${compared.length} responses compared, ${errors} errors, ${warnings} warnings`);
  process.exit(errors ? 1 : 0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await main();
}
