// @ts-check
'use strict';
// serverless-traffic-shift: handler of the Custom::TrafficShiftExistingBucket and Custom::TrafficShiftExistingUserPool
// resources, inlined into the stack. They do what the framework's Custom::S3 and Custom::CognitoUserPool do for an
// existing bucket or user pool, but on the Lambda alias given as FunctionArn: the notifications or triggers name the
// alias ARN and the invoke permission is added on the alias (Qualifier), with a statement id Lambda accepts.
//
// The bucket and the pool belong to others: every write keeps what it did not come to change.
// - Neither PutBucketNotificationConfiguration nor UpdateUserPool can be made conditional on what was read. The
//   template orders every writer of one bucket or pool; here each write is preceded by a second read (a change that
//   landed meanwhile is taken in) and followed, after a pause, by a read that checks the write is still there (a
//   concurrent writer that overwrote it makes the handler write again, a few times, then fail).
// - UpdateUserPool resets every setting it is not given. The pool is described, and every field of the answer is given
//   back but the read-only ones. The AWS SDK this runs with is the one the Lambda runtime bundles: a field Cognito
//   returns that this SDK does not know is dropped when the answer is read, and one the SDK cannot send is dropped
//   from the request; either way Cognito would reset it, so the handler fails, naming the fields, and writes nothing.
// - A Create that fails undoes what it did (the permission on the alias, its notifications or triggers) before
//   answering, so a failed deploy leaves no grant behind.
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

/**
 * @typedef {import('@aws-sdk/client-s3').NotificationConfiguration} NotificationConfiguration
 * @typedef {import('@aws-sdk/client-s3').LambdaFunctionConfiguration} LambdaFunctionConfiguration
 * @typedef {import('@aws-sdk/client-cognito-identity-provider').UserPoolType} UserPoolType
 * @typedef {import('@aws-sdk/client-cognito-identity-provider').LambdaConfigType} LambdaConfigType
 * @typedef {import('@aws-sdk/client-cognito-identity-provider').UpdateUserPoolCommandInput} UpdateUserPoolCommandInput
 *
 * @typedef {object} CustomResourceEvent What CloudFormation sends.
 * @property {string} RequestType Create, Update or Delete.
 * @property {string} ResponseURL
 * @property {string} StackId
 * @property {string} RequestId
 * @property {string} LogicalResourceId
 * @property {string} ResourceType
 * @property {string} [PhysicalResourceId]
 * @property {Properties} [ResourceProperties]
 * @property {Properties} [OldResourceProperties]
 *
 * @typedef {object} LambdaContext The part of Lambda's context the handler uses.
 * @property {() => number} getRemainingTimeInMillis
 * @property {string} logStreamName
 *
 * @typedef {object} Properties The resource's properties, as the template gives them.
 * @property {string} [FunctionArn] The alias ARN.
 * @property {string} [BucketName]
 * @property {BucketConfig[]} [BucketConfigs]
 * @property {string} [UserPoolName]
 * @property {UserPoolConfig[]} [UserPoolConfigs]
 *
 * @typedef {object} BucketConfig One event of the framework's Custom::S3.
 * @property {string} Event
 * @property {Record<string, string>[]} [Rules] `{ Prefix }` or `{ Suffix }`.
 *
 * @typedef {object} UserPoolConfig One trigger of the framework's Custom::CognitoUserPool.
 * @property {string} Trigger
 * @property {string} [LambdaVersion]
 * @property {string} [KMSKeyID]
 *
 * @typedef {object} Outcome What CloudFormation is told.
 * @property {'SUCCESS' | 'FAILED'} Status
 * @property {string} Reason
 * @property {string} PhysicalResourceId
 * @property {Record<string, unknown>} Data
 *
 * @typedef {object} Alias The parts of an alias ARN.
 * @property {string} aliasArn
 * @property {string} functionArn
 * @property {string} functionName
 * @property {string} alias
 * @property {string} partition
 * @property {string} region
 * @property {string} account
 *
 * @typedef {() => Promise<unknown>} Undo One step back from what a Create did.
 *
 * @typedef {object} Resource One of the two resource types.
 * @property {(props: Properties) => string} physicalId
 * @property {(props: Properties, old: Properties | undefined, undo: Undo[]) => Promise<{ reason: string, data?: Record<string, unknown> }>} apply
 *   Create (old undefined) or Update; a Create registers in `undo` how to take back each step once it is taken.
 * @property {(props: Properties) => Promise<string>} remove
 *
 * @typedef {Error & { name: string, step?: string, physicalId?: string }} StepError An error saying what was being done.
 */

/** @type {S3Client | undefined} */
let s3Client;
/** @type {LambdaClient | undefined} */
let lambdaClient;
/** @type {CognitoIdentityProviderClient | undefined} */
let cognitoClient;
const s3 = () => (s3Client ??= new S3Client({}));
const lambda = () => (lambdaClient ??= new LambdaClient({}));
const cognito = () => (cognitoClient ??= new CognitoIdentityProviderClient({}));

/** Time left for answering CloudFormation when the work has not finished. */
const RESPONSE_MARGIN_MS = 10000;
/** How long after a write the handler reads again to check that no concurrent writer overwrote it. */
const SETTLE_MS = 1000;
/** Writes of one change before the handler gives up on a bucket or pool that another writer keeps overwriting. */
const WRITE_ATTEMPTS = 4;
/** Cognito triggers whose LambdaConfig value is { LambdaArn, LambdaVersion }, with the pool's KMSKeyID. */
const SENDER_TRIGGERS = ['CustomSMSSender', 'CustomEmailSender'];
/**
 * The fields of DescribeUserPool's answer that UpdateUserPool does not take (UserPoolType minus UpdateUserPoolRequest;
 * Name is given back as PoolName). Every other field of the answer is given back: whatever UpdateUserPool takes, and
 * a field this list misses, which the SDK then refuses to send, so the handler fails rather than reset it.
 */
const READ_ONLY_POOL_FIELDS = [
  'Id',
  'Name',
  'Status',
  'LastModifiedDate',
  'CreationDate',
  'SchemaAttributes',
  'AliasAttributes',
  'UsernameAttributes',
  'EstimatedNumberOfUsers',
  'SmsConfigurationFailure',
  'EmailConfigurationFailure',
  'Domain',
  'CustomDomain',
  'UsernameConfiguration',
  'Arn',
];
/** PhysicalResourceId answered when a Create fails: the Delete CloudFormation sends next then knows there is nothing to undo. */
const NOT_CREATED = 'traffic-shift:not-created';

/**
 * @param {CustomResourceEvent} event
 * @param {LambdaContext} context
 * @returns {Promise<Outcome>}
 */
exports.handler = async (event, context) => {
  console.log(JSON.stringify({ ...event, ResponseURL: undefined }));
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  /** @type {Promise<Outcome>} */
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
  /** @type {Promise<Outcome>} */
  const work = run(event).then(
    (result) => ({
      Status: 'SUCCESS',
      Reason: result.reason,
      PhysicalResourceId: result.physicalId,
      Data: result.data || {},
    }),
    (/** @type {StepError} */ error) =>
      failure(event, `${error && error.step ? ` while ${error.step}` : ''}: ${describeError(error)}`, error.physicalId),
  );
  const outcome = await Promise.race([work, timeout]);
  clearTimeout(timer);
  console.log(JSON.stringify(outcome));
  await respond(event, outcome);
  return outcome;
};

/**
 * @param {CustomResourceEvent} event
 * @param {string} detail
 * @param {string} [physicalId] The id to answer, when a failed Create left something for the Delete to remove.
 * @returns {Outcome}
 */
function failure(event, detail, physicalId) {
  return {
    Status: 'FAILED',
    Reason: `${event.RequestType} of ${event.LogicalResourceId} (${event.ResourceType}) failed${detail}`,
    PhysicalResourceId: physicalId || event.PhysicalResourceId || NOT_CREATED,
    Data: {},
  };
}

/** @param {unknown} error */
function describeError(error) {
  const e = /** @type {{ name?: string, message?: string } | undefined} */ (error);
  return e && e.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : String(e && e.message);
}

/**
 * Runs `action`; an error it throws says what was being done.
 * @template T
 * @param {string} what
 * @param {() => Promise<T>} action
 * @returns {Promise<T>}
 */
async function step(what, action) {
  try {
    return await action();
  } catch (error) {
    const e = /** @type {StepError} */ (error);
    if (e && typeof e === 'object' && !e.step) e.step = what;
    throw e;
  }
}

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @param {CustomResourceEvent} event
 * @returns {Promise<{ physicalId: string, reason: string, data?: Record<string, unknown> }>}
 */
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
    return { physicalId: event.PhysicalResourceId || NOT_CREATED, reason };
  }
  if (event.RequestType === 'Update') {
    const result = await resource.apply(props, event.OldResourceProperties || {}, []);
    return { ...result, physicalId: resource.physicalId(props) };
  }
  if (event.RequestType !== 'Create') throw new Error(`unknown request type ${event.RequestType}`);
  /** @type {Undo[]} */
  const undo = [];
  try {
    const result = await resource.apply(props, undefined, undo);
    return { ...result, physicalId: resource.physicalId(props) };
  } catch (error) {
    throw await undone(/** @type {StepError} */ (error), undo, resource.physicalId(props));
  }
}

/**
 * Takes back the steps of a failed Create, last first. When all are taken back the Create answers NOT_CREATED; when
 * one fails it answers the resource's id, so the Delete CloudFormation sends on rollback removes what is left.
 * @param {StepError} error
 * @param {Undo[]} undo
 * @param {string} physicalId
 * @returns {Promise<StepError>}
 */
async function undone(error, undo, physicalId) {
  const failed = [];
  for (const action of [...undo].reverse()) {
    try {
      await action();
    } catch (cleanup) {
      const e = /** @type {StepError} */ (cleanup);
      failed.push(`${e && e.step ? `${e.step}: ` : ''}${describeError(e)}`);
    }
  }
  if (failed.length === 0) return error;
  error.message += `; undoing what the Create did failed too (the Delete that follows tries again): ${failed.join('; ')}`;
  error.physicalId = physicalId;
  return error;
}

/**
 * Undoes what an Update left behind (the old bucket or pool, the old alias's permission). A failure is reported in
 * the Reason, not as a failed Update: CloudFormation's Delete of the old PhysicalResourceId tries again afterwards.
 * @param {string} what
 * @param {() => Promise<unknown>} action
 * @returns {Promise<string>}
 */
async function leftBehind(what, action) {
  try {
    await action();
    return '';
  } catch (error) {
    const e = /** @type {StepError} */ (error);
    return `; could not clean up ${what}${e && e.step ? ` while ${e.step}` : ''}: ${describeError(e)}`;
  }
}

/**
 * The alias of an Update's old properties, undefined when there is none to clean up after.
 * @param {Properties | undefined} old
 * @returns {Alias | undefined}
 */
function previousAlias(old) {
  try {
    return old ? parseAliasArn(old.FunctionArn) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The parts of an alias ARN, `arn:<partition>:lambda:<region>:<account>:function:<name>:<alias>`.
 * @param {unknown} arn
 * @returns {Alias}
 */
function parseAliasArn(arn) {
  const match = /^arn:([^:]+):lambda:([^:]+):([^:]+):function:([^:]+):([^:]+)$/.exec(
    typeof arn === 'string' ? arn : '',
  );
  if (!match) throw new Error(`FunctionArn ${JSON.stringify(arn)} is not the ARN of a Lambda alias`);
  const [, partition = '', region = '', account = '', functionName = '', alias = ''] = match;
  const functionArn = `arn:${partition}:lambda:${region}:${account}:function:${functionName}`;
  return { aliasArn: /** @type {string} */ (arn), functionArn, functionName, alias, partition, region, account };
}

/** @param {string} text */
const hash = (text) => crypto.createHash('sha256').update(text).digest('hex').slice(0, 8);

/**
 * A statement id Lambda accepts ([a-zA-Z0-9_-]{1,100}); the hash of the raw name keeps sanitised names apart.
 * @param {string} kind
 * @param {string} name
 */
function statementId(kind, name) {
  const readable = `TrafficShift-${kind}-${name.replace(/[^a-zA-Z0-9_-]/g, '_')}`.slice(0, 91);
  return `${readable}-${hash(name)}`;
}

/**
 * Adds the invoke permission on the alias; an existing statement of the same id is replaced (its source may differ).
 * @param {Alias} fn
 * @param {string} sid
 * @param {{ Principal: string, SourceArn: string, SourceAccount?: string }} grant
 */
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
        return await lambda().send(new AddPermissionCommand(input));
      } catch (error) {
        const e = /** @type {StepError} */ (error);
        if (!e || e.name !== 'ResourceConflictException' || attempt === 5) throw e;
        // The same statement id: replace it. Anything else is a concurrent update of the function: wait and retry.
        if (/already exists/i.test(e.message || '')) await removePermission(fn, sid);
        else await sleep(2000 * attempt);
      }
    }
  });
}

/**
 * @param {Alias} fn
 * @param {string} sid
 */
async function removePermission(fn, sid) {
  await step(`removing permission ${sid} from ${fn.aliasArn}`, async () => {
    try {
      await lambda().send(
        new RemovePermissionCommand({ FunctionName: fn.functionArn, Qualifier: fn.alias, StatementId: sid }),
      );
    } catch (error) {
      if (!error || /** @type {StepError} */ (error).name !== 'ResourceNotFoundException') throw error;
    }
  });
}

/**
 * Reads, changes and writes back a configuration that others write too, with no conditional write to rely on. Reads
 * again just before writing (a change landed meanwhile: start over from it), and after writing waits and reads once
 * more: when `holds` finds the change undone by a concurrent writer, starts over, up to WRITE_ATTEMPTS writes.
 * @template C
 * @param {object} target
 * @param {string} target.what "the notification configuration of bucket x", for messages.
 * @param {() => Promise<C>} target.read
 * @param {(next: C) => Promise<unknown>} target.write
 * @param {(current: C) => C} target.change What the configuration should become.
 * @param {(current: C) => boolean} target.holds Whether a configuration read after the write still carries the change.
 * @param {(a: C, b: C) => boolean} target.same
 * @returns {Promise<boolean>} Whether anything was written.
 */
async function readChangeWrite({ what, read, write, change, holds, same }) {
  let wrote = false;
  for (let attempt = 1; ; attempt++) {
    const current = await step(`reading ${what}`, read);
    const next = change(current);
    if (same(next, current)) return wrote;
    const again = await step(`reading ${what} again before writing it`, read);
    if (!same(again, current)) {
      if (attempt === WRITE_ATTEMPTS) throw new Error(`${what} kept changing while the handler read it`);
      continue;
    }
    await step(`writing ${what}`, () => write(next));
    wrote = true;
    await sleep(SETTLE_MS);
    const after = await step(`reading ${what} back`, read);
    if (holds(after)) return wrote;
    if (attempt === WRITE_ATTEMPTS)
      throw new Error(
        `another writer overwrote ${what} ${attempt} times right after this handler wrote it; ` +
          'the change is not in place. Deploy again once the other writer is done.',
      );
    console.log(`${what}: a concurrent write undid this handler's change; writing it again`);
    await sleep(500 * attempt + Math.floor(Math.random() * 500));
  }
}

/**
 * The fields (as paths) of `given` that `kept` lacks, at any depth. Values null or undefined count as absent; a value
 * `kept` holds as something other than an object or array (a date read from a number) is not looked into.
 * @param {unknown} given
 * @param {unknown} kept
 * @param {string} [at]
 * @returns {string[]}
 */
function missingFields(given, kept, at = '') {
  if (given === null || typeof given !== 'object' || kept === null || typeof kept !== 'object') return [];
  if (Array.isArray(given))
    return Array.isArray(kept) ? given.flatMap((item, i) => missingFields(item, kept[i], `${at}[${i}]`)) : [];
  const keptRecord = /** @type {Record<string, unknown>} */ (kept);
  return Object.entries(/** @type {Record<string, unknown>} */ (given)).flatMap(([key, value]) => {
    if (value === null || value === undefined) return [];
    const path = at ? `${at}.${key}` : key;
    return keptRecord[key] === undefined || keptRecord[key] === null
      ? [path]
      : missingFields(value, keptRecord[key], path);
  });
}

/**
 * The version of an AWS SDK package as this runtime has it.
 * @param {string} name
 * @returns {string}
 */
function sdkVersion(name) {
  try {
    return `${name} ${require(`${name}/package.json`).version}`;
  } catch {
    return name;
  }
}

// ---- Custom::TrafficShiftExistingBucket ----

/**
 * Id prefix of the Lambda notifications written for an alias.
 * @param {string} aliasArn
 */
const notificationPrefix = (aliasArn) => `TrafficShift-${hash(aliasArn)}-`;

/**
 * One Lambda notification per framework BucketConfig ({ Event, Rules: [{ Prefix } | { Suffix }] }), to the alias.
 * @param {string} aliasArn
 * @param {BucketConfig[] | undefined} bucketConfigs
 * @returns {LambdaFunctionConfiguration[]}
 */
function aliasNotifications(aliasArn, bucketConfigs) {
  /** @type {Map<string, LambdaFunctionConfiguration>} */
  const byId = new Map();
  for (const config of bucketConfigs || []) {
    const rules = (config.Rules || [])
      .flatMap((rule) => Object.entries(rule))
      .map(([name, value]) => ({ Name: /** @type {'prefix' | 'suffix'} */ (name.toLowerCase()), Value: value }));
    const Id = `${notificationPrefix(aliasArn)}${hash(JSON.stringify([config.Event, rules]))}`;
    byId.set(Id, {
      Id,
      LambdaFunctionArn: aliasArn,
      Events: [/** @type {import('@aws-sdk/client-s3').Event} */ (config.Event)],
      ...(rules.length > 0 ? { Filter: { Key: { FilterRules: rules } } } : {}),
    });
  }
  return [...byId.values()];
}

/**
 * The bucket's notification configuration without the Lambda notifications `drop` matches, with `added`.
 * @param {NotificationConfiguration} current
 * @param {(c: LambdaFunctionConfiguration) => boolean} drop
 * @param {LambdaFunctionConfiguration[]} [added]
 * @returns {NotificationConfiguration}
 */
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

/**
 * Matches what was written for `fn`'s alias, and with `framework` also what the framework's handler wrote for the
 * function.
 * @param {Alias} fn
 * @param {{ framework?: boolean }} [options]
 * @returns {(c: LambdaFunctionConfiguration) => boolean}
 */
function ownNotifications(fn, { framework = false } = {}) {
  const prefix = notificationPrefix(fn.aliasArn);
  return (c) =>
    (c.Id || '').startsWith(prefix) ||
    (framework && c.LambdaFunctionArn === fn.functionArn && (c.Id || '').startsWith(fn.functionName));
}

/**
 * A configuration as a comparable text: each list sorted by Id, so an order S3 chose does not count as a change.
 * @param {NotificationConfiguration} configuration
 */
function configurationText(configuration) {
  const view = notificationConfiguration(configuration, () => false);
  /** @param {{ Id?: string }[] | undefined} list */
  const sorted = (list) => list && [...list].sort((a, b) => String(a.Id).localeCompare(String(b.Id)));
  return JSON.stringify({
    ...view,
    TopicConfigurations: sorted(view.TopicConfigurations),
    QueueConfigurations: sorted(view.QueueConfigurations),
    LambdaFunctionConfigurations: sorted(view.LambdaFunctionConfigurations),
  });
}

/**
 * Changes a bucket's notification configuration (see readChangeWrite). `drop` matches the Lambda notifications the
 * change removes, `added` those it writes; after the write, every added notification must be there (same Id and
 * destination) and none that `drop` matches but them.
 * @param {Alias} fn
 * @param {string} bucket
 * @param {(c: LambdaFunctionConfiguration) => boolean} drop
 * @param {LambdaFunctionConfiguration[]} [added]
 * @returns {Promise<boolean>} Whether anything was written.
 */
async function changeNotifications(fn, bucket, drop, added = []) {
  const ids = new Set(added.map((c) => c.Id));
  return readChangeWrite({
    what: `the notification configuration of bucket ${bucket}`,
    read: async () => {
      const { $metadata: _metadata, ...configuration } = await s3().send(
        new GetBucketNotificationConfigurationCommand({ Bucket: bucket, ExpectedBucketOwner: fn.account }),
      );
      return /** @type {NotificationConfiguration} */ (configuration);
    },
    write: (next) =>
      s3().send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: bucket,
          ExpectedBucketOwner: fn.account,
          NotificationConfiguration: next,
        }),
      ),
    change: (current) => notificationConfiguration(current, drop, added),
    holds: (after) => {
      const lambdas = after.LambdaFunctionConfigurations || [];
      return (
        added.every((a) => lambdas.some((c) => c.Id === a.Id && c.LambdaFunctionArn === a.LambdaFunctionArn)) &&
        !lambdas.some((c) => drop(c) && !ids.has(c.Id))
      );
    },
    same: (a, b) => configurationText(a) === configurationText(b),
  });
}

/** @param {unknown} error */
const isMissingBucket = (error) => Boolean(error) && /** @type {StepError} */ (error).name === 'NoSuchBucket';

/** @type {Resource} */
const bucketResource = {
  physicalId: (props) => `traffic-shift:${props.BucketName}:${props.FunctionArn}`,

  async apply(props, old, undo) {
    const fn = parseAliasArn(props.FunctionArn);
    const bucket = String(props.BucketName);
    const sid = statementId('s3', bucket);
    await addPermission(fn, sid, {
      Principal: 's3.amazonaws.com',
      SourceArn: `arn:${fn.partition}:s3:::${bucket}`,
      SourceAccount: fn.account,
    });
    undo.push(() => removePermission(fn, sid));
    const oldFn = previousAlias(old);
    const sameBucket = oldFn && old && old.BucketName === bucket;
    const dropOwn = ownNotifications(fn, { framework: true });
    const dropOld = oldFn && sameBucket ? ownNotifications(oldFn) : () => false;
    const added = aliasNotifications(fn.aliasArn, props.BucketConfigs);
    // Taken back after a failed Create, once the bucket could be read: the alias's notifications go, the framework's
    // entries of the function (replaced by them) come back.
    /** @type {LambdaFunctionConfiguration[] | undefined} */
    let replaced;
    undo.push(async () => {
      const restore = replaced;
      if (restore === undefined) return;
      await changeNotifications(
        fn,
        bucket,
        (c) => ownNotifications(fn)(c) || restore.some((r) => r.Id === c.Id),
        restore,
      ).catch((error) => {
        if (!isMissingBucket(error)) throw error;
      });
    });
    // One PUT: S3 refuses overlapping notifications, so the entries of the framework and of an old alias go as the new come.
    await changeNotifications(
      fn,
      bucket,
      (c) => {
        const dropped = dropOwn(c) || dropOld(c);
        replaced ??= [];
        if (dropped && !(c.Id || '').startsWith('TrafficShift-') && !replaced.some((r) => r.Id === c.Id))
          replaced.push(c);
        return dropped;
      },
      added,
    );
    let reason = `bucket ${bucket} notifies ${fn.aliasArn} of ${added.length} event configuration(s)`;
    if (oldFn && old && !sameBucket)
      reason += await leftBehind(`bucket ${old.BucketName}`, () => removeFromBucket(oldFn, String(old.BucketName)));
    else if (oldFn && oldFn.aliasArn !== fn.aliasArn)
      reason += await leftBehind(oldFn.aliasArn, () => removePermission(oldFn, sid));
    return { reason };
  },

  async remove(props) {
    const fn = parseAliasArn(props.FunctionArn);
    const found = await removeFromBucket(fn, String(props.BucketName));
    return found
      ? `removed the notifications to ${fn.aliasArn} from bucket ${props.BucketName}`
      : `bucket ${props.BucketName} no longer exists`;
  },
};

/**
 * Removes an alias's notifications from a bucket, then its permission; false when the bucket is gone.
 * @param {Alias} fn
 * @param {string} bucket
 */
async function removeFromBucket(fn, bucket) {
  let found = true;
  try {
    await changeNotifications(fn, bucket, ownNotifications(fn));
  } catch (error) {
    if (!isMissingBucket(error)) throw error;
    found = false;
  }
  await removePermission(fn, statementId('s3', bucket));
  return found;
}

// ---- Custom::TrafficShiftExistingUserPool ----

/**
 * The id of the user pool named `name`, or undefined.
 * @param {string} name
 * @returns {Promise<string | undefined>}
 */
async function findUserPool(name) {
  return step(`looking for user pool ${name}`, async () => {
    /** @type {string | undefined} */
    let NextToken;
    do {
      const page = await cognito().send(new ListUserPoolsCommand({ MaxResults: 60, NextToken }));
      const pool = (page.UserPools || []).find((p) => p.Name === name);
      if (pool) return pool.Id;
      NextToken = page.NextToken;
    } while (NextToken);
    return undefined;
  });
}

/** @param {unknown} value */
const triggerArn = (value) =>
  value && typeof value === 'object' ? /** @type {{ LambdaArn?: string }} */ (value).LambdaArn : value;

/**
 * The pool's LambdaConfig without the triggers that name one of `dropArns`, then with each framework UserPoolConfig
 * ({ Trigger, LambdaVersion?, KMSKeyID? }) set to the alias. Other functions' triggers stay. A PreTokenGeneration
 * trigger with a LambdaVersion (V2_0, V3_0: the event versions later framework versions write) is also set in
 * PreTokenGenerationConfig, whose ARN Cognito requires to be the same.
 * @param {LambdaConfigType | undefined} current
 * @param {string[]} dropArns
 * @param {string} aliasArn
 * @param {UserPoolConfig[]} [userPoolConfigs]
 * @returns {LambdaConfigType}
 */
function lambdaConfig(current, dropArns, aliasArn, userPoolConfigs = []) {
  /** @type {Record<string, unknown>} */
  const result = Object.fromEntries(
    Object.entries(current || {}).filter(([, value]) => !dropArns.includes(/** @type {string} */ (triggerArn(value)))),
  );
  for (const config of userPoolConfigs) {
    if (SENDER_TRIGGERS.includes(config.Trigger)) {
      result[config.Trigger] = { LambdaArn: aliasArn, LambdaVersion: config.LambdaVersion || 'V1_0' };
      if (config.KMSKeyID) result.KMSKeyID = config.KMSKeyID;
    } else {
      result[config.Trigger] = aliasArn;
      if (config.Trigger === 'PreTokenGeneration') {
        if (config.LambdaVersion)
          result.PreTokenGenerationConfig = { LambdaArn: aliasArn, LambdaVersion: config.LambdaVersion };
        // The versioned form of the same trigger; Cognito refuses two different functions in it.
        else delete result.PreTokenGenerationConfig;
      }
    }
  }
  if (!SENDER_TRIGGERS.some((trigger) => trigger in result)) delete result.KMSKeyID;
  return result;
}

/**
 * Whether `after` (read back from the pool) carries what `intended` set for the alias: each trigger of the alias
 * there, with its LambdaVersion, and no trigger of the alias or of `dropArns` elsewhere. Cognito reports a
 * PreTokenGeneration trigger in PreTokenGenerationConfig too.
 * @param {LambdaConfigType | undefined} after
 * @param {LambdaConfigType} intended
 * @param {string} aliasArn
 * @param {string[]} dropArns
 */
function triggersHold(after, intended, aliasArn, dropArns) {
  const found = /** @type {Record<string, unknown>} */ (after || {});
  const wanted = /** @type {Record<string, unknown>} */ (intended);
  const ours = Object.keys(wanted).filter((key) => triggerArn(wanted[key]) === aliasArn);
  const present = ours.every(
    (key) =>
      triggerArn(found[key]) === aliasArn &&
      /** @type {{ LambdaVersion?: string }} */ (found[key] || {}).LambdaVersion ===
        /** @type {{ LambdaVersion?: string }} */ (wanted[key] || {}).LambdaVersion,
  );
  const reported = (/** @type {string} */ key) =>
    ours.includes(key) || (key === 'PreTokenGenerationConfig' && ours.includes('PreTokenGeneration'));
  const stray = Object.entries(found).some(([key, value]) => {
    const arn = /** @type {string} */ (triggerArn(value));
    return (arn === aliasArn && !reported(key)) || (arn !== aliasArn && dropArns.includes(arn));
  });
  return present && !stray;
}

/**
 * The UpdateUserPool input that keeps every setting of the described pool (UpdateUserPool resets what it is not
 * given): every field but the read-only ones, Name as PoolName, and `newLambdaConfig`. DescribeUserPool reports the
 * temporary password validity twice; UpdateUserPool refuses AdminCreateUserConfig.UnusedAccountValidityDays beside
 * the password policy's field, so only that one is sent.
 * @param {UserPoolType} pool
 * @param {LambdaConfigType} newLambdaConfig
 * @returns {UpdateUserPoolCommandInput}
 */
function userPoolUpdate(pool, newLambdaConfig) {
  const input = JSON.parse(
    JSON.stringify(
      Object.fromEntries(
        Object.entries(pool).filter(([key, value]) => !READ_ONLY_POOL_FIELDS.includes(key) && value !== undefined),
      ),
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

const COGNITO_SDK = '@aws-sdk/client-cognito-identity-provider';

/**
 * DescribeUserPool, failing when Cognito's answer holds a field this runtime's SDK dropped while reading it.
 * @param {string} poolId
 * @returns {Promise<UserPoolType>}
 */
async function describeUserPool(poolId) {
  const command = new DescribeUserPoolCommand({ UserPoolId: poolId });
  /** @type {unknown} */
  let raw;
  // Inside the deserializer: the body as Cognito sent it, read once and handed on as bytes.
  command.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const response = /** @type {{ statusCode?: number, body?: unknown }} */ (result.response);
      if (response && response.statusCode === 200 && response.body) {
        const bytes = await readAll(response.body);
        response.body = bytes;
        raw = JSON.parse(bytes.toString('utf8'));
      }
      return result;
    },
    { step: 'deserialize', priority: 'low', name: 'trafficShiftRawDescribeUserPool' },
  );
  const answer = await cognito().send(command);
  const unknown = missingFields(raw, answer);
  if (unknown.length > 0)
    throw new Error(
      `Cognito describes settings of the pool that the AWS SDK of this Lambda runtime (${sdkVersion(COGNITO_SDK)}) ` +
        `does not know: ${unknown.join(', ')}. UpdateUserPool would reset them, so the triggers were not changed`,
    );
  if (!answer.UserPool) throw new Error(`DescribeUserPool answered no pool for ${poolId}`);
  return answer.UserPool;
}

/**
 * @param {unknown} body A Node.js stream, or bytes.
 * @returns {Promise<Buffer>}
 */
async function readAll(body) {
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks = [];
  for await (const chunk of /** @type {AsyncIterable<Buffer | string>} */ (body)) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * UpdateUserPool, refusing to send when the SDK would leave out a field of `input` (one it does not know).
 * @param {UpdateUserPoolCommandInput} input
 */
async function updateUserPool(input) {
  const command = new UpdateUserPoolCommand(input);
  command.middlewareStack.add(
    (next) => async (args) => {
      const { body } = /** @type {{ body?: unknown }} */ (args.request);
      const sent = ArrayBuffer.isView(body)
        ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
        : String(body);
      const dropped = missingFields(input, JSON.parse(sent));
      if (dropped.length > 0)
        throw new Error(
          `the AWS SDK of this Lambda runtime (${sdkVersion(COGNITO_SDK)}) cannot send ${dropped.join(', ')} of the pool ` +
            'to UpdateUserPool, which would reset them, so the triggers were not changed',
        );
      return next(args);
    },
    { step: 'build', name: 'trafficShiftCompleteUpdateUserPool' },
  );
  return cognito().send(command);
}

/**
 * Changes a pool's triggers (see readChangeWrite); every other setting is given back as described.
 * @param {string} poolId
 * @param {string} name
 * @param {(current: LambdaConfigType | undefined) => LambdaConfigType} change
 * @param {(after: LambdaConfigType | undefined) => boolean} holds
 */
async function changeTriggers(poolId, name, change, holds) {
  /** @type {UserPoolType | undefined} */
  let described;
  return readChangeWrite({
    what: `the triggers of user pool ${name} (${poolId})`,
    read: async () => {
      described = await describeUserPool(poolId);
      return described.LambdaConfig || {};
    },
    write: (next) => updateUserPool(userPoolUpdate(/** @type {UserPoolType} */ (described), next)),
    change,
    holds,
    same: (a, b) => canonical(a) === canonical(b),
  });
}

/**
 * JSON with keys sorted at every depth.
 * @param {unknown} value
 * @returns {string}
 */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((key) => /** @type {Record<string, unknown>} */ (value)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonical(/** @type {Record<string, unknown>} */ (value)[key])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/**
 * @param {Alias} fn
 * @param {string} poolId
 */
const poolArn = (fn, poolId) => `arn:${fn.partition}:cognito-idp:${fn.region}:${fn.account}:userpool/${poolId}`;

/** @type {Resource} */
const userPoolResource = {
  physicalId: (props) => `traffic-shift:${props.UserPoolName}:${props.FunctionArn}`,

  async apply(props, old, undo) {
    const fn = parseAliasArn(props.FunctionArn);
    const name = String(props.UserPoolName);
    const poolId = await findUserPool(name);
    if (!poolId) throw new Error(`there is no user pool named ${JSON.stringify(name)} in ${fn.region}`);
    const sid = statementId('cognito', name);
    await addPermission(fn, sid, {
      Principal: 'cognito-idp.amazonaws.com',
      SourceArn: poolArn(fn, poolId),
    });
    undo.push(() => removePermission(fn, sid));
    const oldFn = previousAlias(old);
    const samePool = oldFn && old && old.UserPoolName === name;
    const dropArns = [fn.aliasArn, fn.functionArn, ...(oldFn && samePool ? [oldFn.aliasArn] : [])];
    const configs = props.UserPoolConfigs || [];
    // Taken back after a failed Create, once the pool could be read: the alias's triggers go, the function's (replaced
    // by them) come back where no other trigger took their place.
    /** @type {Record<string, unknown> | undefined} */
    let replaced;
    undo.push(async () => {
      const restore = replaced;
      if (restore === undefined) return;
      await changeTriggers(
        poolId,
        name,
        (current) => ({ ...restore, ...lambdaConfig(current, [fn.aliasArn], fn.aliasArn) }),
        (after) => triggersHold(after, {}, fn.aliasArn, []),
      );
    });
    await changeTriggers(
      poolId,
      name,
      (current) => {
        const found = /** @type {Record<string, unknown>} */ (current || {});
        replaced ??= {};
        for (const [key, value] of Object.entries(found)) {
          if (triggerArn(value) !== fn.functionArn || key in replaced) continue;
          replaced[key] = value;
          if (SENDER_TRIGGERS.includes(key) && found.KMSKeyID !== undefined) replaced.KMSKeyID = found.KMSKeyID;
        }
        return lambdaConfig(current, dropArns, fn.aliasArn, configs);
      },
      (after) => triggersHold(after, lambdaConfig({}, [], fn.aliasArn, configs), fn.aliasArn, dropArns),
    );
    let reason = `user pool ${name} (${poolId}) invokes ${fn.aliasArn} for ${configs.map((c) => c.Trigger).join(', ') || 'no trigger'}`;
    if (oldFn && old && !samePool)
      reason += await leftBehind(`user pool ${old.UserPoolName}`, () =>
        removeFromUserPool(oldFn, String(old.UserPoolName)),
      );
    else if (oldFn && oldFn.aliasArn !== fn.aliasArn)
      reason += await leftBehind(oldFn.aliasArn, () => removePermission(oldFn, sid));
    return { reason, data: { UserPoolId: poolId } };
  },

  async remove(props) {
    const fn = parseAliasArn(props.FunctionArn);
    const found = await removeFromUserPool(fn, String(props.UserPoolName));
    return found
      ? `removed the triggers of ${fn.aliasArn} from user pool ${props.UserPoolName}`
      : `user pool ${props.UserPoolName} no longer exists`;
  },
};

/**
 * Removes an alias's triggers from a pool, then its permission; false when the pool is gone. Only the alias's entries:
 * the function's own (unqualified) triggers may have been written again by the framework's resource.
 * @param {Alias} fn
 * @param {string} name
 */
async function removeFromUserPool(fn, name) {
  const poolId = await findUserPool(name);
  if (poolId) {
    try {
      await changeTriggers(
        poolId,
        name,
        (current) => lambdaConfig(current, [fn.aliasArn], fn.aliasArn),
        (after) => triggersHold(after, {}, fn.aliasArn, []),
      );
    } catch (error) {
      if (!error || /** @type {StepError} */ (error).name !== 'ResourceNotFoundException') throw error;
    }
  }
  await removePermission(fn, statementId('cognito', name));
  return Boolean(poolId);
}

/** @type {Record<string, Resource>} */
const RESOURCES = {
  'Custom::TrafficShiftExistingBucket': bucketResource,
  'Custom::TrafficShiftExistingUserPool': userPoolResource,
};

/**
 * PUTs the outcome to CloudFormation's presigned ResponseURL, trying three times.
 * @param {CustomResourceEvent} event
 * @param {Outcome} outcome
 */
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
      await sleep(1000 * attempt);
    }
  }
}

/**
 * @param {string} url
 * @param {string} body
 * @returns {Promise<void>}
 */
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
          response.statusCode !== undefined && response.statusCode >= 200 && response.statusCode < 300
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
  triggersHold,
  userPoolUpdate,
  missingFields,
  READ_ONLY_POOL_FIELDS,
  RESPONSE_MARGIN_MS,
  SETTLE_MS,
  WRITE_ATTEMPTS,
  NOT_CREATED,
});
