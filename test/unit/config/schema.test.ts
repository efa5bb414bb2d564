import { forFramework, functionSettingsSchema, serviceSettingsSchema } from '../../../src/config/schema';

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
