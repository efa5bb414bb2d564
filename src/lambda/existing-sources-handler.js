'use strict';
// serverless-traffic-shift: handler of the Custom::TrafficShiftExistingBucket and Custom::TrafficShiftExistingUserPool
// resources, inlined into the stack. They do what the framework's Custom::S3 and Custom::CognitoUserPool do for an
// existing bucket or user pool, but on the Lambda alias given as FunctionArn: the notifications or triggers name the
// alias ARN and the invoke permission is added on the alias (Qualifier), with a statement id Lambda accepts.
// CloudFormation waits for an answer on ResponseURL: one is always sent, even on errors and before a timeout.
const crypto = require('crypto');
const http = require('http');
const https = require('https');
const {
  S3Client,
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
} = require('@aws-sdk/client-s3');
const { LambdaClient, AddPermissionCommand, RemovePermissionCommand } = require('@aws-sdk/client-lambda');
const {
  CognitoIdentityProviderClient,
  ListUserPoolsCommand,
  DescribeUserPoolCommand,
  UpdateUserPoolCommand,
} = require('@aws-sdk/client-cognito-identity-provider');

const clients = {};
const client = (Type) => (clients[Type.name] ??= new Type({}));
const send = (Type, command) => client(Type).send(command);

/** Time left for answering CloudFormation when the work has not finished. */
const RESPONSE_MARGIN_MS = 10000;
/** Cognito triggers whose LambdaConfig value is { LambdaArn, LambdaVersion }, with the pool's KMSKeyID. */
const SENDER_TRIGGERS = ['CustomSMSSender', 'CustomEmailSender'];
/**
 * The fields UpdateUserPool takes (UpdateUserPoolRequest, SDK 3.1169) besides UserPoolId and PoolName (the described
 * pool's Name); DescribeUserPool's other fields are read-only and UpdateUserPool refuses them.
 */
const UPDATABLE_POOL_FIELDS = [
  'Policies',
  'DeletionProtection',
  'LambdaConfig',
  'AutoVerifiedAttributes',
  'SmsVerificationMessage',
  'EmailVerificationMessage',
  'EmailVerificationSubject',
  'VerificationMessageTemplate',
  'SmsAuthenticationMessage',
  'UserAttributeUpdateSettings',
  'MfaConfiguration',
  'DeviceConfiguration',
  'EmailConfiguration',
  'SmsConfiguration',
  'UserPoolTags',
  'AdminCreateUserConfig',
  'UserPoolAddOns',
  'DcrConfiguration',
  'AccountRecoverySetting',
  'UserPoolTier',
  'KeyConfiguration',
  'IssuerConfiguration',
];
/** PhysicalResourceId answered when a Create fails: the Delete CloudFormation sends next then knows there is nothing to undo. */
const NOT_CREATED = 'traffic-shift:not-created';

exports.handler = async (event, context) => {
  console.log(JSON.stringify({ ...event, ResponseURL: undefined }));
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(
      () =>
        resolve(
          failure(
            event,
            `: did not finish ${RESPONSE_MARGIN_MS / 1000}s before the handler's timeout (log stream ${context.logStreamName})`,
          ),
        ),
      Math.max(0, context.getRemainingTimeInMillis() - RESPONSE_MARGIN_MS),
    );
  });
  const work = run(event).then(
    (result) => ({
      Status: 'SUCCESS',
      Reason: result.reason,
      PhysicalResourceId: result.physicalId,
      Data: result.data || {},
    }),
    (error) => failure(event, `${error && error.step ? ` while ${error.step}` : ''}: ${describeError(error)}`),
  );
  const outcome = await Promise.race([work, timeout]);
  clearTimeout(timer);
  console.log(JSON.stringify(outcome));
  await respond(event, outcome);
  return outcome;
};

function failure(event, detail) {
  return {
    Status: 'FAILED',
    Reason: `${event.RequestType} of ${event.LogicalResourceId} (${event.ResourceType}) failed${detail}`,
    PhysicalResourceId: event.PhysicalResourceId || NOT_CREATED,
    Data: {},
  };
}

const describeError = (error) =>
  error && error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : String(error && error.message);

/** Runs `action`; an error it throws says what was being done. */
async function step(what, action) {
  try {
    return await action();
  } catch (error) {
    if (error && typeof error === 'object' && !error.step) error.step = what;
    throw error;
  }
}

async function run(event) {
  const resource = RESOURCES[event.ResourceType];
  if (!resource)
    throw new Error(
      `unknown resource type ${event.ResourceType}; this handler serves ${Object.keys(RESOURCES).join(' and ')}`,
    );
  const props = event.ResourceProperties || {};
  if (event.RequestType === 'Delete') {
    if (event.PhysicalResourceId === NOT_CREATED)
      return { physicalId: NOT_CREATED, reason: 'nothing to delete: the resource was never created' };
    const reason = await resource.remove(props);
    return { physicalId: event.PhysicalResourceId, reason };
  }
  if (event.RequestType !== 'Create' && event.RequestType !== 'Update')
    throw new Error(`unknown request type ${event.RequestType}`);
  const result = await resource.apply(props, event.RequestType === 'Update' ? event.OldResourceProperties : undefined);
  return { ...result, physicalId: resource.physicalId(props) };
}

/**
 * Undoes what an Update left behind (the old bucket or pool, the old alias's permission). A failure is reported in
 * the Reason, not as a failed Update: CloudFormation's Delete of the old PhysicalResourceId tries again afterwards.
 */
async function leftBehind(what, action) {
  try {
    await action();
    return '';
  } catch (error) {
    return `; could not clean up ${what}${error && error.step ? ` while ${error.step}` : ''}: ${describeError(error)}`;
  }
}

/** The alias of an Update's old properties, undefined when there is none to clean up after. */
function previousAlias(old) {
  try {
    return old ? parseAliasArn(old.FunctionArn) : undefined;
  } catch {
    return undefined;
  }
}

/** The parts of an alias ARN, `arn:<partition>:lambda:<region>:<account>:function:<name>:<alias>`. */
function parseAliasArn(arn) {
  const match = /^arn:([^:]+):lambda:([^:]+):([^:]+):function:([^:]+):([^:]+)$/.exec(
    typeof arn === 'string' ? arn : '',
  );
  if (!match) throw new Error(`FunctionArn ${JSON.stringify(arn)} is not the ARN of a Lambda alias`);
  const [, partition, region, account, functionName, alias] = match;
  const functionArn = `arn:${partition}:lambda:${region}:${account}:function:${functionName}`;
  return { aliasArn: arn, functionArn, functionName, alias, partition, region, account };
}

const hash = (text) => crypto.createHash('sha256').update(text).digest('hex').slice(0, 8);

/** A statement id Lambda accepts ([a-zA-Z0-9_-]{1,100}); the hash of the raw name keeps sanitised names apart. */
function statementId(kind, name) {
  const readable = `TrafficShift-${kind}-${name.replace(/[^a-zA-Z0-9_-]/g, '_')}`.slice(0, 91);
  return `${readable}-${hash(name)}`;
}

/** Adds the invoke permission on the alias; an existing statement of the same id is replaced (its source may differ). */
async function addPermission(fn, sid, grant) {
  const input = {
    FunctionName: fn.functionArn,
    Qualifier: fn.alias,
    StatementId: sid,
    Action: 'lambda:InvokeFunction',
    ...grant,
  };
  await step(`adding permission ${sid} on ${fn.aliasArn}`, async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send(LambdaClient, new AddPermissionCommand(input));
      } catch (error) {
        if (!error || error.name !== 'ResourceConflictException' || attempt === 5) throw error;
        // The same statement id: replace it. Anything else is a concurrent update of the function: wait and retry.
        if (/already exists/i.test(error.message || '')) await removePermission(fn, sid);
        else await new Promise((resolve) => setTimeout(resolve, 2000 * attempt));
      }
    }
  });
}

async function removePermission(fn, sid) {
  await step(`removing permission ${sid} from ${fn.aliasArn}`, async () => {
    try {
      await send(
        LambdaClient,
        new RemovePermissionCommand({ FunctionName: fn.functionArn, Qualifier: fn.alias, StatementId: sid }),
      );
    } catch (error) {
      if (!error || error.name !== 'ResourceNotFoundException') throw error;
    }
  });
}

// ---- Custom::TrafficShiftExistingBucket ----

/** Id prefix of the Lambda notifications written for an alias. */
const notificationPrefix = (aliasArn) => `TrafficShift-${hash(aliasArn)}-`;

/** One Lambda notification per framework BucketConfig ({ Event, Rules: [{ Prefix } | { Suffix }] }), to the alias. */
function aliasNotifications(aliasArn, bucketConfigs) {
  const byId = new Map();
  for (const config of bucketConfigs || []) {
    const rules = (config.Rules || [])
      .flatMap((rule) => Object.entries(rule))
      .map(([name, value]) => ({ Name: name.toLowerCase(), Value: value }));
    const Id = `${notificationPrefix(aliasArn)}${hash(JSON.stringify([config.Event, rules]))}`;
    byId.set(Id, {
      Id,
      LambdaFunctionArn: aliasArn,
      Events: [config.Event],
      ...(rules.length > 0 ? { Filter: { Key: { FilterRules: rules } } } : {}),
    });
  }
  return [...byId.values()];
}

/** The bucket's notification configuration without the Lambda notifications `drop` matches, with `added`. */
function notificationConfiguration(current, drop, added = []) {
  const kept = (current.LambdaFunctionConfigurations || []).filter((c) => !drop(c));
  const result = {
    TopicConfigurations: current.TopicConfigurations,
    QueueConfigurations: current.QueueConfigurations,
    LambdaFunctionConfigurations: [...kept, ...added],
    EventBridgeConfiguration: current.EventBridgeConfiguration,
  };
  return Object.fromEntries(
    Object.entries(result).filter(([, value]) => value !== undefined && !(Array.isArray(value) && value.length === 0)),
  );
}

/** Drops what was written for `fn`'s alias, and with `framework` also what the framework's handler wrote for the function. */
function ownNotifications(fn, { framework = false } = {}) {
  const prefix = notificationPrefix(fn.aliasArn);
  return (c) =>
    (c.Id || '').startsWith(prefix) ||
    (framework && c.LambdaFunctionArn === fn.functionArn && (c.Id || '').startsWith(fn.functionName));
}

/** Reads, changes and writes back a bucket's notification configuration; no write when nothing changes. */
async function updateNotifications(bucket, change) {
  const current = await step(`reading the notification configuration of bucket ${bucket}`, () =>
    send(S3Client, new GetBucketNotificationConfigurationCommand({ Bucket: bucket })),
  );
  const before = notificationConfiguration(current, () => false);
  const after = change(current);
  if (JSON.stringify(before) === JSON.stringify(after)) return false;
  await step(`writing the notification configuration of bucket ${bucket}`, () =>
    send(S3Client, new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: after })),
  );
  return true;
}

const isMissingBucket = (error) => error && error.name === 'NoSuchBucket';

const bucketResource = {
  physicalId: (props) => `traffic-shift:${props.BucketName}:${props.FunctionArn}`,

  async apply(props, old) {
    const fn = parseAliasArn(props.FunctionArn);
    const bucket = props.BucketName;
    await addPermission(fn, statementId('s3', bucket), {
      Principal: 's3.amazonaws.com',
      SourceArn: `arn:${fn.partition}:s3:::${bucket}`,
      SourceAccount: fn.account,
    });
    const oldFn = previousAlias(old);
    const sameBucket = oldFn && old.BucketName === bucket;
    const dropOwn = ownNotifications(fn, { framework: true });
    const dropOld = sameBucket ? ownNotifications(oldFn) : () => false;
    const added = aliasNotifications(fn.aliasArn, props.BucketConfigs);
    // One PUT: S3 refuses overlapping notifications, so the entries of the framework and of an old alias go as the new come.
    await updateNotifications(bucket, (current) =>
      notificationConfiguration(current, (c) => dropOwn(c) || dropOld(c), added),
    );
    let reason = `bucket ${bucket} notifies ${fn.aliasArn} of ${added.length} event configuration(s)`;
    if (oldFn && !sameBucket)
      reason += await leftBehind(`bucket ${old.BucketName}`, () => removeFromBucket(oldFn, old.BucketName));
    else if (oldFn && oldFn.aliasArn !== fn.aliasArn)
      reason += await leftBehind(oldFn.aliasArn, () => removePermission(oldFn, statementId('s3', bucket)));
    return { reason };
  },

  async remove(props) {
    const fn = parseAliasArn(props.FunctionArn);
    const found = await removeFromBucket(fn, props.BucketName);
    return found
      ? `removed the notifications to ${fn.aliasArn} from bucket ${props.BucketName}`
      : `bucket ${props.BucketName} no longer exists`;
  },
};

/** Removes an alias's notifications from a bucket, then its permission; false when the bucket is gone. */
async function removeFromBucket(fn, bucket) {
  let found = true;
  try {
    await updateNotifications(bucket, (current) => notificationConfiguration(current, ownNotifications(fn)));
  } catch (error) {
    if (!isMissingBucket(error)) throw error;
    found = false;
  }
  await removePermission(fn, statementId('s3', bucket));
  return found;
}

// ---- Custom::TrafficShiftExistingUserPool ----

/** The id of the user pool named `name`, or undefined. */
async function findUserPool(name) {
  return step(`looking for user pool ${name}`, async () => {
    let NextToken;
    do {
      const page = await send(CognitoIdentityProviderClient, new ListUserPoolsCommand({ MaxResults: 60, NextToken }));
      const pool = (page.UserPools || []).find((p) => p.Name === name);
      if (pool) return pool.Id;
      NextToken = page.NextToken;
    } while (NextToken);
    return undefined;
  });
}

const triggerArn = (value) => (value && typeof value === 'object' ? value.LambdaArn : value);

/**
 * The pool's LambdaConfig without the triggers that name one of `dropArns`, then with each framework UserPoolConfig
 * ({ Trigger, LambdaVersion?, KMSKeyID? }) set to the alias. Other functions' triggers stay.
 */
function lambdaConfig(current, dropArns, aliasArn, userPoolConfigs = []) {
  const result = Object.fromEntries(
    Object.entries(current || {}).filter(([, value]) => !dropArns.includes(triggerArn(value))),
  );
  for (const config of userPoolConfigs) {
    if (SENDER_TRIGGERS.includes(config.Trigger)) {
      result[config.Trigger] = { LambdaArn: aliasArn, LambdaVersion: config.LambdaVersion || 'V1_0' };
      if (config.KMSKeyID) result.KMSKeyID = config.KMSKeyID;
    } else {
      result[config.Trigger] = aliasArn;
      // The versioned form of the same trigger; Cognito refuses two different functions in it.
      if (config.Trigger === 'PreTokenGeneration') delete result.PreTokenGenerationConfig;
    }
  }
  if (!SENDER_TRIGGERS.some((trigger) => trigger in result)) delete result.KMSKeyID;
  return result;
}

/**
 * The UpdateUserPool input that keeps every setting of the described pool (UpdateUserPool resets what it is not
 * given) and sets `LambdaConfig`. DescribeUserPool reports the temporary password validity twice; UpdateUserPool
 * refuses AdminCreateUserConfig.UnusedAccountValidityDays, so only the password policy's field is sent.
 */
function userPoolUpdate(pool, newLambdaConfig) {
  const input = JSON.parse(
    JSON.stringify(
      Object.fromEntries(UPDATABLE_POOL_FIELDS.filter((key) => pool[key] !== undefined).map((key) => [key, pool[key]])),
    ),
  );
  const admin = input.AdminCreateUserConfig;
  if (admin && admin.UnusedAccountValidityDays !== undefined) {
    const policy = input.Policies && input.Policies.PasswordPolicy;
    if (policy && policy.TemporaryPasswordValidityDays === undefined)
      policy.TemporaryPasswordValidityDays = admin.UnusedAccountValidityDays;
    delete admin.UnusedAccountValidityDays;
  }
  return {
    UserPoolId: pool.Id,
    ...(pool.Name ? { PoolName: pool.Name } : {}),
    ...input,
    LambdaConfig: newLambdaConfig,
  };
}

/** Describes the pool and writes back its LambdaConfig as `change` makes it; no write when nothing changes. */
async function updateTriggers(poolId, name, change) {
  const { UserPool: pool } = await step(`describing user pool ${name} (${poolId})`, () =>
    send(CognitoIdentityProviderClient, new DescribeUserPoolCommand({ UserPoolId: poolId })),
  );
  const next = change(pool.LambdaConfig || {});
  if (JSON.stringify(next) === JSON.stringify(pool.LambdaConfig || {})) return;
  await step(`updating the triggers of user pool ${name} (${poolId})`, () =>
    send(CognitoIdentityProviderClient, new UpdateUserPoolCommand(userPoolUpdate(pool, next))),
  );
}

const poolArn = (fn, poolId) => `arn:${fn.partition}:cognito-idp:${fn.region}:${fn.account}:userpool/${poolId}`;

const userPoolResource = {
  physicalId: (props) => `traffic-shift:${props.UserPoolName}:${props.FunctionArn}`,

  async apply(props, old) {
    const fn = parseAliasArn(props.FunctionArn);
    const name = props.UserPoolName;
    const poolId = await findUserPool(name);
    if (!poolId) throw new Error(`there is no user pool named ${JSON.stringify(name)} in ${fn.region}`);
    await addPermission(fn, statementId('cognito', name), {
      Principal: 'cognito-idp.amazonaws.com',
      SourceArn: poolArn(fn, poolId),
    });
    const oldFn = previousAlias(old);
    const samePool = oldFn && old.UserPoolName === name;
    const dropArns = [fn.aliasArn, fn.functionArn, ...(samePool ? [oldFn.aliasArn] : [])];
    const configs = props.UserPoolConfigs || [];
    await updateTriggers(poolId, name, (current) => lambdaConfig(current, dropArns, fn.aliasArn, configs));
    let reason = `user pool ${name} (${poolId}) invokes ${fn.aliasArn} for ${configs.map((c) => c.Trigger).join(', ') || 'no trigger'}`;
    if (oldFn && !samePool)
      reason += await leftBehind(`user pool ${old.UserPoolName}`, () => removeFromUserPool(oldFn, old.UserPoolName));
    else if (oldFn && oldFn.aliasArn !== fn.aliasArn)
      reason += await leftBehind(oldFn.aliasArn, () => removePermission(oldFn, statementId('cognito', name)));
    return { reason, data: { UserPoolId: poolId } };
  },

  async remove(props) {
    const fn = parseAliasArn(props.FunctionArn);
    const found = await removeFromUserPool(fn, props.UserPoolName);
    return found
      ? `removed the triggers of ${fn.aliasArn} from user pool ${props.UserPoolName}`
      : `user pool ${props.UserPoolName} no longer exists`;
  },
};

/**
 * Removes an alias's triggers from a pool, then its permission; false when the pool is gone. Only the alias's entries:
 * the function's own (unqualified) triggers may have been written again by the framework's resource.
 */
async function removeFromUserPool(fn, name) {
  const poolId = await findUserPool(name);
  if (poolId) {
    try {
      await updateTriggers(poolId, name, (current) => lambdaConfig(current, [fn.aliasArn], fn.aliasArn));
    } catch (error) {
      if (!error || error.name !== 'ResourceNotFoundException') throw error;
    }
  }
  await removePermission(fn, statementId('cognito', name));
  return Boolean(poolId);
}

const RESOURCES = {
  'Custom::TrafficShiftExistingBucket': bucketResource,
  'Custom::TrafficShiftExistingUserPool': userPoolResource,
};

/** PUTs the outcome to CloudFormation's presigned ResponseURL, trying three times. */
async function respond(event, outcome) {
  const body = JSON.stringify({
    Status: outcome.Status,
    Reason: outcome.Reason.slice(0, 2000),
    PhysicalResourceId: outcome.PhysicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: outcome.Data,
  });
  for (let attempt = 1; ; attempt++) {
    try {
      return await put(event.ResponseURL, body);
    } catch (error) {
      if (attempt === 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
    }
  }
}

function put(url, body) {
  const target = new URL(url);
  const transport = target.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      target,
      { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } },
      (response) => {
        response.resume();
        response.on('end', () =>
          response.statusCode >= 200 && response.statusCode < 300
            ? resolve()
            : reject(new Error(`ResponseURL answered HTTP ${response.statusCode}`)),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

Object.assign(exports, {
  parseAliasArn,
  statementId,
  aliasNotifications,
  notificationConfiguration,
  lambdaConfig,
  userPoolUpdate,
  RESPONSE_MARGIN_MS,
  NOT_CREATED,
});
