/**
 * The one typed slice of the Serverless Framework object the plugin uses, and what every part of the plugin is
 * handed: the framework, the command's options, its logging utilities and the resolved settings. Serverless v3
 * (lib/serverless.js, lib/plugins/aws/provider.js), where v4 differs said so; nothing else in the plugin names the
 * framework's types.
 */
import type { ResolvedSettings } from './config/resolve';
import type { FrameworkUtils } from './log';
import type { CfnTemplate } from './types/cloudformation';

/** `functions.<name>` as the framework holds it after reading serverless.yml. */
export interface FunctionObject {
  /** The deployed function name (`svc-dev-api`). */
  name?: string;
  deploymentSettings?: unknown;
  versionFunction?: boolean;
  /** The framework's own mechanism to wire a function's events to an alias (set by the plugin before compiling). */
  targetAlias?: { name: string; logicalId: string };
  events?: unknown[];
}

/** What v4's `provider.getCredentials()` resolves to (lib/plugins/aws/provider.js). */
export interface V4Credentials {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  accountId?: string;
}

export interface AwsProvider {
  getStage(): string;
  getRegion(): string;
  /** The deploying account (STS GetCallerIdentity, memoized: `sls deploy` asks for it anyway). */
  getAccountId?(): Promise<string>;
  /**
   * v3 (and osls): `{ credentials?: AWS.Credentials }` (SDK v2), synchronously, resolved from profiles, environment
   * and --aws-profile. v4: a promise of flat credentials (`{ accessKeyId, secretAccessKey, sessionToken, accountId }`,
   * no expiry), resolved by the framework's core, also from its dashboard. deploy/credentials.ts takes both.
   */
  getCredentials(): { credentials?: unknown } | undefined | Promise<V4Credentials>;
  naming: {
    getStackName(): string;
    getLambdaLogicalId(functionName: string): string;
    getNormalizedFunctionName(functionName: string): string;
  };
}

export interface Serverless {
  service: {
    custom?: Record<string, unknown>;
    /** `resources:` of serverless.yml (the user's own CloudFormation). */
    resources?: { Resources?: Record<string, unknown> };
    /** `plugins:` of serverless.yml: a list, or `{ modules: [...] }`. */
    plugins?: unknown;
    provider: {
      versionFunctions?: boolean;
      /** The template being compiled; after packaging, the one written to .serverless/. */
      compiledCloudFormationTemplate: CfnTemplate;
      eventBridge?: { useCloudFormation?: boolean };
      /** Set by `sls deploy` when artifacts and template are unchanged: no stack update. */
      shouldNotDeploy?: boolean;
      /** Set by `sls deploy` when the change set had no changes. */
      deploymentWithEmptyChangeSet?: boolean;
    };
    getAllFunctions(): string[];
    getFunction(name: string): FunctionObject;
  };
  getProvider(name: 'aws'): AwsProvider;
  configSchemaHandler?: {
    defineCustomProperties(schema: object): void;
    defineFunctionProperties(provider: string, schema: object): void;
  };
  /** The command as typed (`deploy`, `package`, `traffic plan`) and its options. */
  processedInput?: { commands?: string[] };
  pluginManager: {
    /** Loaded plugins in the order their hooks run. */
    plugins?: unknown[];
    spawn(command: string): Promise<void>;
  };
}

/** What the plugin's parts receive from the plugin class. */
export interface PluginInput {
  serverless: Serverless;
  /** The command's options as the framework parsed them (`--function api` → `{ function: 'api' }`). */
  options: Record<string, unknown>;
  utils?: FrameworkUtils;
  /** The resolved settings: from packaging when this command packaged, else resolved on demand. */
  settings: () => ResolvedSettings;
}
