/** The parts of a CloudFormation template the plugin reads and writes. */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdatePolicy?: Record<string, unknown>;
  Condition?: string;
  Metadata?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A CloudFormation intrinsic function: an object with one `Ref` or `Fn::*` key. */
export type Intrinsic = { [fn: string]: unknown };

export const ref = (logicalId: string): { Ref: string } => ({ Ref: logicalId });
export const getAtt = (logicalId: string, attribute: string): { 'Fn::GetAtt': [string, string] } => ({
  'Fn::GetAtt': [logicalId, attribute],
});

/** `arn:${AWS::Partition}:…` with the partition resolved by CloudFormation, never a literal `aws`. */
export const partitionArn = (rest: string): { 'Fn::Sub': string } => ({ 'Fn::Sub': `arn:\${AWS::Partition}:${rest}` });

export const INTRINSIC_KEYS = [
  'Ref',
  'Fn::GetAtt',
  'Fn::ImportValue',
  'Fn::Sub',
  'Fn::Join',
  'Fn::If',
  'Fn::Select',
  'Fn::FindInMap',
] as const;

export function isIntrinsic(value: unknown): value is Intrinsic {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (INTRINSIC_KEYS as readonly string[]).includes(keys[0] as string);
}
