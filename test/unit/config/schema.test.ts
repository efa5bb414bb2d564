import {
  ACCEPTED_TYPES,
  forFramework,
  functionSettingsSchema,
  PREDEFINED_CONFIGS,
  serviceSettingsSchema,
} from '../../../src/config/schema';

describe('the schema registered with the framework', () => {
  it('names every key, rejects unknown ones, and leaves value types to the plugin (AJV would coerce them)', () => {
    const registered = forFramework(serviceSettingsSchema) as {
      type: string;
      additionalProperties: boolean;
      properties: Record<string, unknown>;
    };
    expect(registered.type).toBe('object');
    expect(registered.additionalProperties).toBe(false);
    expect(Object.keys(registered.properties)).toEqual(Object.keys(serviceSettingsSchema.properties));
    expect(registered.properties.stages).toEqual({});
    expect(registered.properties.enabled).toEqual({});
    expect(registered.properties.autoRollback).toEqual({
      type: 'object',
      properties: { onFailure: {}, onAlarm: {}, onManualStop: {} },
      additionalProperties: false,
    });
    expect(Object.keys((forFramework(functionSettingsSchema) as { properties: object }).properties)).not.toContain(
      'codeDeployRolePermissionsBoundary',
    );
  });
});

describe('the schema holds the words of every message', () => {
  /** Every node a value is checked against, with its path. */
  function nodes(schema: Record<string, unknown>, at: string): [string, Record<string, unknown>][] {
    const own: [string, Record<string, unknown>][] = [[at, schema]];
    const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
    const branches = (schema.anyOf ?? []) as Record<string, unknown>[];
    return [
      ...own,
      ...Object.entries(properties).flatMap(([key, value]) => nodes(value, `${at}.${key}`)),
      ...(schema.items ? nodes(schema.items as Record<string, unknown>, `${at}[]`) : []),
      ...branches.flatMap((branch, i) => nodes(branch, `${at}|${i}`)),
    ];
  }

  it('gives every value a description (what is accepted) and every branch of a choice a title (what it is)', () => {
    const all = nodes(serviceSettingsSchema as unknown as Record<string, unknown>, 'deploymentSettings');
    const values = all.filter(([path]) => !/\|\d+$/.test(path));
    expect(values.filter(([, node]) => typeof node.description !== 'string').map(([path]) => path)).toEqual([]);
    const branches = all.filter(([path]) => /\|\d+$/.test(path));
    expect(branches.length).toBeGreaterThan(10);
    expect(branches.filter(([, node]) => typeof node.title !== 'string').map(([path]) => path)).toEqual([]);
  });

  it('names every predefined CodeDeploy configuration among the accepted types', () => {
    for (const name of PREDEFINED_CONFIGS) expect(ACCEPTED_TYPES).toContain(name);
    expect(serviceSettingsSchema.properties.type.description).toBe(ACCEPTED_TYPES);
  });
});
