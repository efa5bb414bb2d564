/**
 * mapObjects: the walk the retarget pass uses, which offers its replace function plain objects only. It must give
 * what mapValue gives for such a function, and share every subtree nothing replaced.
 */
import fc from 'fast-check';
import { isObject, mapObjects, mapValue } from '../../../src/transform/intrinsics';

/** A replace function that rewrites plain objects only: `{ Ref: "Old" }` becomes `{ Ref: "New" }`. */
const renameRef = (node: unknown): unknown =>
  isObject(node) && node.Ref === 'Old' && Object.keys(node).length === 1 ? { Ref: 'New' } : undefined;

/** JSON values where `{ Ref: "Old" }` and `{ Ref: "Other" }` turn up at any depth. */
const { value: templateValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
    fc.constantFrom({ Ref: 'Old' }, { Ref: 'Other' }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('Ref', 'Properties', 'Fn::Join', 'Value', 'Items'), tie('value'), { maxKeys: 4 }),
  ),
}));

/** Every object or array of `after` that is also in `before` at the same place, by identity, when unchanged. */
function sharesUnchanged(before: unknown, after: unknown): boolean {
  if (before === null || typeof before !== 'object') return true;
  if (JSON.stringify(before) === JSON.stringify(after)) return before === after;
  if (Array.isArray(before))
    return Array.isArray(after) && before.every((item, i) => sharesUnchanged(item, (after as unknown[])[i]));
  return (
    isObject(after) &&
    Object.entries(before).every(([key, item]) => !(key in after) || sharesUnchanged(item, after[key]))
  );
}

describe('mapObjects', () => {
  it('gives what mapValue gives, sharing what it did not change, and leaves its input as it was', () => {
    fc.assert(
      fc.property(templateValue, (value) => {
        const before = JSON.stringify(value);
        const expected = mapValue(value, renameRef);
        const actual = mapObjects(value, renameRef);
        expect(actual).toEqual(expected);
        expect(JSON.stringify(actual)).toBe(JSON.stringify(expected)); // key order too
        expect(JSON.stringify(value)).toBe(before);
        expect(sharesUnchanged(value, actual)).toBe(true);
      }),
      { seed: 20240611, numRuns: 500 },
    );
  });

  it('offers the replace function plain objects only, outermost first', () => {
    const offered: unknown[] = [];
    const value = { A: [{ Ref: 'Old' }, 'text', 1, null, [{ B: true }]], C: { D: 'x' } };
    mapObjects(value, (node) => {
      offered.push(node);
      return undefined;
    });
    expect(offered).toEqual([value, { Ref: 'Old' }, { B: true }, { D: 'x' }]);
  });

  it('returns the input itself when nothing is replaced, and a replacement in place of the object', () => {
    const value = { Properties: { Target: { Ref: 'Old' }, Other: { Ref: 'Other' } } };
    expect(mapObjects({ Properties: { Other: { Ref: 'Other' } } }, renameRef)).toEqual({
      Properties: { Other: { Ref: 'Other' } },
    });
    const untouched = { Properties: { Other: { Ref: 'Other' } } };
    expect(mapObjects(untouched, renameRef)).toBe(untouched);
    const result = mapObjects(value, renameRef) as typeof value;
    expect(result).toEqual({ Properties: { Target: { Ref: 'New' }, Other: { Ref: 'Other' } } });
    expect(result.Properties.Other).toBe(value.Properties.Other);
  });
});
