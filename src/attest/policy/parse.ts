import { readFile } from 'node:fs/promises';
import { YAMLParseError, parse as parseYaml } from 'yaml';
import { TD_ATTRIBUTE_NAMES, type TdAttributeName } from '../abi/td-attributes.js';
import { PolicyError } from '../errors.js';
import { closestName } from './suggest.js';
import type { TcbStatus } from '../verify/tcb-status.js';
import { DEFAULT_POLICY, TCB_STATUSES, type Policy, type TdAttributeRule } from './types.js';

/** Byte length of each measurement field a policy can pin. */
const MEASUREMENT_SIZES = {
  mrTd: 48,
  rtmr0: 48,
  rtmr1: 48,
  rtmr2: 48,
  rtmr3: 48,
  mrConfigId: 48,
  mrOwner: 48,
  mrOwnerConfig: 48,
  mrSeam: 48,
  mrServiceTd: 48,
  xfam: 8,
  reportData: 64,
} as const;
type MeasurementKey = keyof typeof MEASUREMENT_SIZES;

const OTHER_KEYS = [
  'acceptedTcbStatuses',
  'tdAttributes',
  'minTeeTcbSvn',
  'maxCollateralAge',
  'minTcbEvaluationDataNumber',
  'rejectedAdvisoryIds',
] as const;

/** Reads a policy file, JSON or YAML (JSON is valid YAML). */
export async function loadPolicy(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new PolicyError('POLICY_NOT_FOUND', `policy file ${path} cannot be read`, {
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw syntaxError(error, text, path);
  }
  return parsePolicy(value, path);
}

/** Names the line and column of a JSON or YAML syntax error, and a key that appears twice. */
function syntaxError(error: unknown, text: string, path: string): PolicyError {
  if (!(error instanceof YAMLParseError) || !error.linePos) {
    return new PolicyError('POLICY_INVALID', `policy file ${path} is not valid JSON or YAML`, {
      cause: error,
    });
  }
  const { line, col } = error.linePos[0];
  const where = `line ${line}, column ${col}`;
  if (error.code === 'DUPLICATE_KEY') {
    const source = text.split(/\r?\n/)[line - 1] ?? '';
    const key = /^\s*["']?([^"':]+)/.exec(source.slice(col - 1))?.[1]?.trim();
    return new PolicyError(
      'POLICY_INVALID',
      `policy file ${path} sets ${key ? `"${key}"` : 'a key'} twice (${where})`,
      { cause: error, hint: 'keep one of the two values' },
    );
  }
  // yaml's message repeats the position and quotes the source; its first clause is the reason.
  const reason = error.message.split(' at line ')[0]!.split('\n')[0]!;
  return new PolicyError(
    'POLICY_INVALID',
    `policy file ${path} has a syntax error at ${where}: ${reason}`,
    {
      cause: error,
      hint: 'policy files are JSON or YAML',
    },
  );
}

/**
 * Validates a policy object and fills in the defaults for unset rules. Every problem is listed
 * in one PolicyError, so a policy can be fixed in one pass.
 */
export function parsePolicy(value: unknown, source = 'policy'): Policy {
  const problems: { path: string; reason: string }[] = [];
  const problem = (path: string, reason: string) => problems.push({ path, reason });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PolicyError('POLICY_INVALID', `${source} must be a mapping of rule names to values`);
  }

  const input = value as Record<string, unknown>;
  const ruleNames = [...Object.keys(MEASUREMENT_SIZES), ...OTHER_KEYS];
  for (const key of Object.keys(input)) {
    if (!ruleNames.includes(key)) problem(key, unknownName('a policy rule', key, ruleNames));
  }

  const measurements: Partial<Record<MeasurementKey, string[]>> = {};
  for (const [key, size] of Object.entries(MEASUREMENT_SIZES) as [MeasurementKey, number][]) {
    if (input[key] !== undefined) measurements[key] = hexList(input[key], key, size, problem);
  }
  const policy: Policy = {
    ...DEFAULT_POLICY,
    ...measurements,
    acceptedTcbStatuses: statuses(input.acceptedTcbStatuses, problem),
    tdAttributes: tdAttributes(input.tdAttributes, problem),
    ...optionalRules(input, problem),
  };

  if (problems.length > 0) {
    const list = problems.map((item) => `${item.path} ${item.reason}`).join('; ');
    throw new PolicyError('POLICY_INVALID', `${source} is invalid: ${list}`, {
      path: problems[0]!.path,
      hint: 'see "Policy files" in the README for the rule names and value formats',
    });
  }
  return policy;
}

type Problem = (path: string, reason: string) => void;

function unknownName(kind: string, name: string, known: readonly string[]): string {
  const suggestion = closestName(name, known);
  return `is not ${kind}${suggestion ? `; did you mean ${suggestion}?` : ''}`;
}

function hexList(value: unknown, key: string, size: number, problem: Problem): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) problem(key, 'must list at least one value');
  return list.map((item, index) => {
    const path = Array.isArray(value) ? `${key}[${index}]` : key;
    if (typeof item !== 'string' || !new RegExp(`^[0-9a-fA-F]{${size * 2}}$`).test(item)) {
      problem(path, `must be ${size * 2} hex digits (${size} bytes in quote byte order)`);
      return '';
    }
    return item.toLowerCase();
  });
}

function statuses(value: unknown, problem: Problem): TcbStatus[] {
  if (value === undefined) return [...DEFAULT_POLICY.acceptedTcbStatuses];
  if (!Array.isArray(value) || value.length === 0) {
    problem('acceptedTcbStatuses', 'must be a non-empty list');
    return [];
  }
  return value.filter((item, index): item is TcbStatus => {
    const known = (TCB_STATUSES as readonly unknown[]).includes(item);
    if (!known) {
      const suggestion = typeof item === 'string' ? closestName(item, TCB_STATUSES) : undefined;
      const reason = `must be one of ${TCB_STATUSES.join(', ')}`;
      problem(
        `acceptedTcbStatuses[${index}]`,
        suggestion ? `${reason} (did you mean ${suggestion}?)` : reason,
      );
    }
    return known;
  });
}

function tdAttributes(value: unknown, problem: Problem): Policy['tdAttributes'] {
  const defaults = DEFAULT_POLICY.tdAttributes;
  if (value === undefined) return defaults;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problem('tdAttributes', 'must be a mapping with "required" and "forbidden" lists');
    return defaults;
  }

  const input = value as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (key !== 'required' && key !== 'forbidden') {
      problem(`tdAttributes.${key}`, unknownName('a rule', key, ['required', 'forbidden']));
    }
  }
  const names = (key: 'required' | 'forbidden', allowed: readonly string[]) => {
    const list = input[key];
    if (list === undefined) return undefined;
    if (!Array.isArray(list)) {
      problem(`tdAttributes.${key}`, 'must be a list');
      return [];
    }
    return list.filter((name, index) => {
      const ok = typeof name === 'string' && allowed.includes(name);
      if (!ok) {
        const suggestion = typeof name === 'string' ? closestName(name, allowed) : undefined;
        const reason = `must be one of ${allowed.join(', ')}`;
        problem(
          `tdAttributes.${key}[${index}]`,
          suggestion ? `${reason} (did you mean ${suggestion}?)` : reason,
        );
      }
      return ok;
    });
  };
  const required = names('required', TD_ATTRIBUTE_NAMES) as TdAttributeName[] | undefined;
  const forbidden = names('forbidden', [...TD_ATTRIBUTE_NAMES, 'RESERVED']) as
    TdAttributeRule[] | undefined;
  const both = (required ?? []).filter((name) => (forbidden ?? []).includes(name));
  for (const name of both) problem('tdAttributes', `lists ${name} as both required and forbidden`);
  return { required: required ?? defaults.required, forbidden: forbidden ?? defaults.forbidden };
}

function optionalRules(input: Record<string, unknown>, problem: Problem) {
  const rules: {
    minTeeTcbSvn?: string;
    maxCollateralAgeSeconds?: number;
    minTcbEvaluationDataNumber?: number;
    rejectedAdvisoryIds?: string[];
  } = {};
  if (input.minTeeTcbSvn !== undefined) {
    const [svn] = hexList(input.minTeeTcbSvn, 'minTeeTcbSvn', 16, problem);
    if (Array.isArray(input.minTeeTcbSvn)) problem('minTeeTcbSvn', 'must be one value');
    rules.minTeeTcbSvn = svn ?? '';
  }
  if (input.maxCollateralAge !== undefined) {
    rules.maxCollateralAgeSeconds = duration(input.maxCollateralAge, problem);
  }
  const evaluation = input.minTcbEvaluationDataNumber;
  if (evaluation !== undefined) {
    if (!Number.isSafeInteger(evaluation) || (evaluation as number) < 0) {
      problem('minTcbEvaluationDataNumber', 'must be a whole number');
    }
    rules.minTcbEvaluationDataNumber = evaluation as number;
  }
  const advisories = input.rejectedAdvisoryIds;
  if (advisories !== undefined) {
    if (!Array.isArray(advisories) || !advisories.every((id) => typeof id === 'string')) {
      problem('rejectedAdvisoryIds', 'must be a list of advisory IDs such as INTEL-SA-00615');
    } else {
      rules.rejectedAdvisoryIds = advisories.map((id: string) => id.toUpperCase());
    }
  }
  return rules;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Reads a duration as seconds, or as a number with a unit: `90s`, `30m`, `12h`, `7d`. */
function duration(value: unknown, problem: Problem): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  const match = typeof value === 'string' ? /^(\d+)([smhd])$/.exec(value.trim()) : null;
  if (!match) {
    problem('maxCollateralAge', 'must be seconds, or a number with s, m, h or d, such as 7d');
    return 0;
  }
  return Number(match[1]) * UNIT_SECONDS[match[2]!]!;
}
