/** Small helpers to read and rewrite CloudFormation values. Pure. */

/** The logical id a `Fn::GetAtt` points at with the given attribute, in either the list or the dotted form. */
export function getAttTarget(value: unknown, attribute: string): string | undefined {
  if (!isObject(value)) return undefined;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt.length === 2 && getAtt[1] === attribute && typeof getAtt[0] === 'string') {
    return getAtt[0];
  }
  if (typeof getAtt === 'string' && getAtt.endsWith(`.${attribute}`)) return getAtt.slice(0, -attribute.length - 1);
  return undefined;
}

export function refTarget(value: unknown): string | undefined {
  return isObject(value) && typeof value.Ref === 'string' && Object.keys(value).length === 1 ? value.Ref : undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Rebuilds `value` bottom-up, letting `replace` substitute any node (return undefined to keep it). Shares every
 * subtree that nothing replaced, so an untouched resource costs no copy.
 */
export function mapValue(value: unknown, replace: (node: unknown) => unknown): unknown {
  const replaced = replace(value);
  if (replaced !== undefined) return replaced;
  // Copies start at the first changed child: walking an unchanged subtree allocates nothing but its key lists.
  if (Array.isArray(value)) {
    let items: unknown[] | undefined;
    for (let i = 0; i < value.length; i += 1) {
      const item: unknown = value[i];
      const next = mapValue(item, replace);
      if (items === undefined && next !== item) items = value.slice(0, i);
      items?.push(next);
    }
    return items ?? value;
  }
  if (isObject(value)) {
    const keys = Object.keys(value);
    let entries: [string, unknown][] | undefined;
    for (let i = 0; i < keys.length; i += 1) {
      const key = keys[i] as string;
      const next = mapValue(value[key], replace);
      if (entries === undefined && next !== value[key]) entries = keys.slice(0, i).map((k) => [k, value[k]]);
      entries?.push([key, next]);
    }
    return entries ? Object.fromEntries(entries) : value;
  }
  return value;
}

/**
 * `mapValue` for a `replace` that substitutes plain objects only: arrays and primitives are walked or kept without
 * asking it. Same result; the rewrite of every resource of a large template runs once per process, on code not yet
 * optimised, where a call saved per node shows.
 */
export function mapObjects(value: unknown, replace: (node: Record<string, unknown>) => unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let items: unknown[] | undefined;
    for (let i = 0; i < value.length; i += 1) {
      const item: unknown = value[i];
      const next = item !== null && typeof item === 'object' ? mapObjects(item, replace) : item;
      if (items === undefined && next !== item) items = value.slice(0, i);
      items?.push(next);
    }
    return items ?? value;
  }
  const object = value as Record<string, unknown>;
  const replaced = replace(object);
  if (replaced !== undefined) return replaced;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(object)) {
    const item = object[key];
    if (item === null || typeof item !== 'object') continue;
    const next = mapObjects(item, replace);
    if (next !== item) (copy ??= { ...object })[key] = next;
  }
  return copy ?? object;
}

export function dependsOnList(dependsOn: unknown): string[] {
  if (typeof dependsOn === 'string') return [dependsOn];
  return Array.isArray(dependsOn) ? dependsOn.filter((d): d is string => typeof d === 'string') : [];
}
