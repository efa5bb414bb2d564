/**
 * What the deploy-time features take from the Serverless Framework: the stage, region, stack name and credentials it
 * resolved (so `--stage`, `--region` and `--aws-profile` work as for `sls deploy`), the compiled template, the
 * command options, and its logging and progress API. Everything else in src/deploy receives a `TrafficContext`,
 * built here from the plugin's input (../framework.ts).
 *
 * The credentials are the framework's (`provider.getCredentials()`, v3's or v4's shape), handed to the SDK v3 clients
 * as a credential provider by credentials.ts; without them (v3 resolved none), the SDK v3 default chain applies.
 */
import type { PluginInput } from '../framework';
import { createLogger, type FrameworkProgress, type Logger } from '../log';
import type { CfnTemplate } from '../types/cloudformation';
import { createClients, type AwsClients } from './aws';
import { credentialsFromProvider } from './credentials';
import { serviceFunctions, type ServiceFunction } from './stack-discovery';
import { isInteractive } from './live-view';
import { systemClock, type Clock } from './clock';

export interface CommandOptions {
  function?: string;
  weight?: string;
  /** `traffic shift --to-version N` (not `--version`: the framework takes that flag for itself). */
  toVersion?: string;
  /** `serverless rollback function --function-version N` (the framework's command). */
  functionVersion?: string;
  /** `--json`: data on standard output instead of words. */
  json?: boolean;
  /** `--verbose`, `--debug` or SLS_DEBUG: errors keep the stack trace of their cause. */
  debug?: boolean;
}

export interface TrafficContext {
  stage: string;
  region: string;
  stackName: string;
  clients: AwsClients;
  /** The functions the plugin manages, from the service configuration. */
  functions(): ServiceFunction[];
  /** The compiled template of this deploy, when packaged. */
  template(): CfnTemplate | undefined;
  /** The framework found nothing to deploy (unchanged artifacts and template). */
  deploySkipped(): boolean;
  /** The framework's change set had no changes. */
  changeSetEmpty(): boolean;
  options: CommandOptions;
  /** ` --stage prod --region eu-west-1`: appended to the commands the messages suggest. */
  cliSuffix: string;
  logger: Logger;
  progress?: FrameworkProgress;
  interactive: boolean;
  clock: Clock;
}

export function frameworkContext(input: PluginInput): TrafficContext {
  const { serverless } = input;
  const provider = serverless.getProvider('aws');
  const stage = provider.getStage();
  const region = provider.getRegion();
  let clients: AwsClients | undefined;
  const option = (name: string): string | undefined => {
    const value = input.options[name];
    return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
  };
  const profile = option('aws-profile');
  const options: CommandOptions = {
    ...(option('function') !== undefined && { function: option('function') }),
    ...(option('weight') !== undefined && { weight: option('weight') }),
    ...(option('to-version') !== undefined && { toVersion: option('to-version') }),
    ...(option('function-version') !== undefined && { functionVersion: option('function-version') }),
    ...(input.options.json === true && { json: true }),
    ...((input.options.verbose === true || input.options.debug !== undefined || Boolean(process.env.SLS_DEBUG)) && {
      debug: true,
    }),
  };
  return {
    stage,
    region,
    stackName: provider.naming.getStackName(),
    // Credentials are resolved on first use, so a hook that needs no AWS call never fails on them.
    get clients(): AwsClients {
      if (!clients) {
        const credentials = credentialsFromProvider(provider);
        clients = createClients({ region, ...(credentials && { credentials }) });
      }
      return clients;
    },
    functions: () => serviceFunctions(input.settings(), (name) => serverless.service.getFunction(name).name ?? name),
    template: () => serverless.service.provider.compiledCloudFormationTemplate,
    deploySkipped: () => serverless.service.provider.shouldNotDeploy === true,
    changeSetEmpty: () => serverless.service.provider.deploymentWithEmptyChangeSet === true,
    options,
    cliSuffix: ` --stage ${stage} --region ${region}${profile ? ` --aws-profile ${profile}` : ''}`,
    logger: createLogger(input.utils),
    ...(input.utils?.progress && { progress: input.utils.progress }),
    interactive: isInteractive(),
    clock: systemClock,
  };
}
