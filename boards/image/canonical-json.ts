/**
 * Canonical JSON for manifests: object keys sorted by UTF-16 code unit, no
 * whitespace, integers only. One value has exactly one encoding, so the
 * signed bytes can be re-derived and a reformatted manifest is refused.
 */

export type CanonicalValue =
  | string
  | number
  | boolean
  | null
  | readonly CanonicalValue[]
  | { readonly [key: string]: CanonicalValue };

export function canonicalJson(value: CanonicalValue): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    // Floats print differently across engines; manifests have no need for them.
    if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer: ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const object = value as { readonly [key: string]: CanonicalValue };
  const fields = Object.keys(object)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key] as CanonicalValue)}`);
  return `{${fields.join(',')}}`;
}
