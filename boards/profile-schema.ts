/**
 * The JSON Schema (draft 2020-12) of a board profile, generated from the same
 * description the validator interprets (`boardProfileSpec` in profile.ts).
 * `boards/write-profile-schema.ts` writes it to
 * `boards/profiles/board-profile.schema.json`; a test keeps that file current.
 */
import { boardProfileSpec, type FieldSpec, type PatternCase } from './profile.ts';

export type JsonSchema = { readonly [key: string]: unknown };

export const BOARD_PROFILE_SCHEMA_FILE = 'board-profile.schema.json';

/** A step from an object to a property, or from an array to its items. */
type Step = { readonly property: string } | { readonly items: true };

interface Conditional {
  readonly steps: readonly Step[];
  readonly field: string;
  readonly cases: Readonly<Record<string, PatternCase>>;
}

function withDescription(spec: FieldSpec, schema: Record<string, unknown>): JsonSchema {
  return spec.description === undefined ? schema : { description: spec.description, ...schema };
}

/** The schema of `spec`; patterns chosen by another field's value go to `conditionals`. */
function schemaOf(
  spec: FieldSpec,
  steps: readonly Step[],
  conditionals: Conditional[],
): JsonSchema {
  switch (spec.type) {
    case 'string': {
      if (spec.patternBy !== undefined) {
        conditionals.push({ steps, field: spec.patternBy.field, cases: spec.patternBy.cases });
      }
      return withDescription(spec, {
        type: 'string',
        ...(spec.minLength === undefined ? {} : { minLength: spec.minLength }),
        ...(spec.maxLength === undefined ? {} : { maxLength: spec.maxLength }),
        ...(spec.pattern === undefined ? {} : { pattern: spec.pattern }),
      });
    }
    case 'integer':
      return withDescription(spec, {
        type: 'integer',
        ...(spec.oneOf === undefined ? {} : { enum: [...spec.oneOf] }),
        ...(spec.minimum === undefined ? {} : { minimum: spec.minimum }),
        ...(spec.maximum === undefined ? {} : { maximum: spec.maximum }),
      });
    case 'boolean':
      return withDescription(spec, { type: 'boolean' });
    case 'literal':
      return withDescription(spec, { enum: [...spec.values] });
    case 'array':
      return withDescription(spec, {
        type: 'array',
        items: schemaOf(spec.items, [...steps, { items: true }], conditionals),
        minItems: spec.minItems,
        maxItems: spec.maxItems,
      });
    case 'object': {
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      for (const [key, property] of Object.entries(spec.properties)) {
        properties[key] = schemaOf(property.spec, [...steps, { property: key }], conditionals);
        if (property.optional !== true) required.push(key);
      }
      return withDescription(spec, {
        type: 'object',
        properties,
        ...(required.length === 0 ? {} : { required }),
        additionalProperties: false,
      });
    }
  }
}

/** A schema that applies `leaf` at `steps` inside an instance, and checks nothing else. */
function nested(steps: readonly Step[], leaf: JsonSchema): JsonSchema {
  return steps.reduceRight<JsonSchema>(
    (inner, step) =>
      'items' in step ? { items: inner } : { properties: { [step.property]: inner } },
    leaf,
  );
}

/** Joins schemas that only hold `properties` and `items` into one (they come from `nested`). */
function merge(a: JsonSchema, b: JsonSchema): JsonSchema {
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const existing = out[key];
    if (existing === undefined) {
      out[key] = value;
    } else if (key === 'items') {
      out[key] = merge(existing as JsonSchema, value as JsonSchema);
    } else if (key === 'properties') {
      const properties: Record<string, JsonSchema> = {
        ...(existing as Record<string, JsonSchema>),
      };
      for (const [name, schema] of Object.entries(value as Record<string, JsonSchema>)) {
        const prior = properties[name];
        properties[name] = prior === undefined ? schema : merge(prior, schema);
      }
      out[key] = properties;
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** One `if`/`then` per value of a selecting field: the patterns that value demands. */
function conditionalSchemas(conditionals: readonly Conditional[]): JsonSchema[] {
  const bySelector = new Map<string, Map<string, JsonSchema>>();
  for (const conditional of conditionals) {
    const byValue = bySelector.get(conditional.field) ?? new Map<string, JsonSchema>();
    bySelector.set(conditional.field, byValue);
    for (const [value, { pattern }] of Object.entries(conditional.cases)) {
      const then = nested(conditional.steps, { pattern });
      const prior = byValue.get(value);
      byValue.set(value, prior === undefined ? then : merge(prior, then));
    }
  }
  return [...bySelector].flatMap(([field, byValue]) =>
    [...byValue].map(([value, then]) => ({
      if: { properties: { [field]: { const: value } }, required: [field] },
      then,
    })),
  );
}

/** The JSON Schema (draft 2020-12) of any value described by `spec`. */
export function specSchema(spec: FieldSpec, title: string): JsonSchema {
  const conditionals: Conditional[] = [];
  const body = schemaOf(spec, [], conditionals);
  const allOf = conditionalSchemas(conditionals);
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title,
    ...body,
    ...(allOf.length === 0 ? {} : { allOf }),
  };
}

/** The JSON Schema of a board profile. */
export function boardProfileSchema(): JsonSchema {
  return specSchema(boardProfileSpec, 'Tandem board profile');
}

/** The schema file's text, as `write-profile-schema.ts` writes it. */
export function boardProfileSchemaText(): string {
  return `${JSON.stringify(boardProfileSchema(), null, 2)}\n`;
}
