/**
 * The build compiles the settings schema into standalone code (scripts/settings-validator.js → dist/config/); the
 * package step uses it instead of compiling with Ajv. It must judge every value as a fresh compile of the schema in
 * src does, error for error (the messages are built from the error's paths), and cost little to load.
 */
import Ajv from 'ajv';
import { existsSync } from 'fs';
import * as path from 'path';
import { serviceSettingsSchema } from '../../../src/config/schema';
import { AJV_OPTIONS, VALIDATOR_FILE } from '../../../src/config/validate';

const BUILT = path.resolve(__dirname, '..', '..', '..', 'dist', 'config', VALIDATOR_FILE);

const SAMPLES: unknown[] = [
  { type: 'Canary10Percent5Minutes' },
  { type: 42 },
  { alias: 'live v1' },
  { stages: 'prod' },
  { stages: [] },
  { typo: 1 },
  { codeDeployRole: { Foo: 1 } },
  { codeDeployRole: { 'Fn::ImportValue': 'role' } },
  { codeDeployRolePermissionsBoundary: 'arn:aws:iam::aws:policy/x' },
  { alarms: ['ApiErrors', { name: '' }] },
  { alarms: [{ name: 'x', other: 1 }] },
  { newVersionAlarms: { errors: { period: 30 } } },
  { newVersionAlarms: { errorRate: 0 } },
  { newVersionAlarms: { latency: true } },
  { newVersionAlarms: 'errors' },
  { autoRollback: { onFailure: 'yes' } },
  { triggerConfigurations: [{ TriggerName: 't', TriggerTargetArn: 'topic', TriggerEvents: ['DeploymentStart'] }] },
  { triggerConfigurations: [{ TriggerName: 't', TriggerTargetArn: { Ref: 'T' }, TriggerEvents: ['Nope'] }] },
  { smokeTest: [] },
  { smokeTest: { expect: { statusCode: 700 } } },
  { bakeTime: 56 },
  { preTrafficHook: '' },
  'Canary10Percent5Minutes',
  [],
];

(existsSync(BUILT) ? describe : describe.skip)('the settings validator the build compiled', () => {
  const built = require(BUILT) as ((data: unknown) => boolean) & { errors?: unknown };
  const fresh = new Ajv(AJV_OPTIONS).compile(serviceSettingsSchema);

  it.each(SAMPLES.map((sample) => [JSON.stringify(sample), sample]))('judges %s as the schema does', (_, sample) => {
    const valid = built(sample);
    expect(valid).toBe(fresh(sample));
    expect(built.errors ?? null).toEqual(fresh.errors ?? null);
  });

  it('accepts and refuses samples alike: the comparison is not vacuous', () => {
    const outcomes = SAMPLES.map((sample) => fresh(sample));
    expect(outcomes.filter(Boolean).length).toBe(3);
    expect(outcomes.filter((valid) => !valid).length).toBe(SAMPLES.length - 3);
  });
});
