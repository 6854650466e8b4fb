// The subset of OpenAPI 3.0 schema objects the contracts are written in. A shape is one such
// object, declared `as const`; its TypeScript type is derived from it with FromSchema, so the
// documents, the checks and the code read the same definition.
export interface JsonSchema {
  readonly type?:
    | 'object'
    | 'array'
    | 'string'
    | 'integer'
    | 'number'
    | 'boolean';
  readonly nullable?: boolean;
  readonly enum?: readonly (string | number)[];
  readonly format?: string;
  readonly pattern?: string;
  readonly description?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly items?: JsonSchema;
  readonly properties?: { readonly [name: string]: JsonSchema };
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly oneOf?: readonly JsonSchema[];
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type RequiredOf<S> = S extends { required: readonly (infer R)[] } ? R : never;

type PropertiesOf<S> = S extends { properties: infer P }
  ? {
      -readonly [K in keyof P as K extends RequiredOf<S>
        ? K
        : never]: FromSchema<P[K]>;
    } & {
      -readonly [K in keyof P as K extends RequiredOf<S>
        ? never
        : K]?: FromSchema<P[K]>;
    }
  : unknown;

type AdditionalOf<S> = S extends { additionalProperties: infer A }
  ? A extends JsonSchema
    ? Record<string, FromSchema<A>>
    : A extends true
      ? Record<string, unknown>
      : unknown
  : unknown;

type NotNull<S> = S extends { oneOf: readonly (infer O)[] }
  ? FromSchema<O>
  : S extends { enum: readonly (infer E)[] }
    ? E
    : S extends { type: 'string' }
      ? string
      : S extends { type: 'integer' | 'number' }
        ? number
        : S extends { type: 'boolean' }
          ? boolean
          : S extends { type: 'array'; items: infer I }
            ? FromSchema<I>[]
            : S extends { type: 'object' }
              ? Simplify<PropertiesOf<S> & AdditionalOf<S>>
              : unknown;

// The TypeScript type of the values a schema describes.
export type FromSchema<S> = S extends { nullable: true }
  ? NotNull<S> | null
  : NotNull<S>;

export const COUNT_SCHEMA = { type: 'integer', minimum: 0 } as const;

// An object of non-negative integer counts, one required property per name.
export function countsSchema<const K extends string>(
  names: readonly K[],
): {
  readonly type: 'object';
  readonly required: readonly K[];
  readonly properties: { readonly [N in K]: typeof COUNT_SCHEMA };
} {
  return {
    type: 'object',
    required: [...names],
    properties: Object.fromEntries(
      names.map((name) => [name, COUNT_SCHEMA]),
    ) as { [N in K]: typeof COUNT_SCHEMA },
  };
}
