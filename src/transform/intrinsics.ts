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
  if (Array.isArray(value)) {
    let changed = false;
    const items = value.map((item) => {
      const next = mapValue(item, replace);
      if (next !== item) changed = true;
      return next;
    });
    return changed ? items : value;
  }
  if (isObject(value)) {
    let changed = false;
    const entries = Object.entries(value).map(([key, item]) => {
      const next = mapValue(item, replace);
      if (next !== item) changed = true;
      return [key, next] as const;
    });
    return changed ? Object.fromEntries(entries) : value;
  }
  return value;
}

export function dependsOnList(dependsOn: unknown): string[] {
  if (typeof dependsOn === 'string') return [dependsOn];
  return Array.isArray(dependsOn) ? dependsOn.filter((d): d is string => typeof d === 'string') : [];
}
