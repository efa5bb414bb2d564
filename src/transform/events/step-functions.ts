/**
 * Step Functions state machines (serverless-step-functions, or `resources:`): a Task that invokes a shifted function,
 * by `Resource: <function ARN>` or through the `lambda:invoke` integration's `Parameters.FunctionName`, invokes its
 * alias instead. serverless-step-functions writes the definition as JSON text whose ARNs are Fn::Sub variables
 * (`DefinitionString: Fn::Sub [text, {<var>: Fn::GetAtt [<Fn>, Arn]}]`); CloudFormation also takes `${<Fn>.Arn}` in
 * the text, a `Definition` object, and `DefinitionSubstitutions`. In all of them the function's ARN (or its name, by
 * `Ref`) becomes the alias ARN. The state machine's role keeps its grant on the function, and gains one on the
 * alias (grants.ts). A state machine listed in allowBypass is left as it is.
 */
import { isObject, mapValue } from '../intrinsics';
import { pointPropertiesAtAlias, show, type EventSourceModule } from './types';

const DEFINITION_PROPERTIES = ['DefinitionString', 'Definition', 'DefinitionSubstitutions'];

export const stepFunctions: EventSourceModule = {
  resourceTypes: ['AWS::StepFunctions::StateMachine'],
  describe: (logicalId, resource) =>
    `stepFunctions ${resource.Properties?.StateMachineName !== undefined ? show(resource.Properties.StateMachineName) : logicalId}`,
  rewire: (resource, { fn }, logicalId) => {
    if (fn.allowBypass.includes(logicalId)) return undefined;
    const inText = `\${${fn.logicalId}.Arn}`;
    // `${<Fn>.Arn}` in the text of a Fn::Sub, too.
    return pointPropertiesAtAlias(resource, DEFINITION_PROPERTIES, fn, (node, aliasId, replace) => {
      const sub = isObject(node) ? node['Fn::Sub'] : undefined;
      const subText = (text: string): string => text.split(inText).join(`\${${aliasId}}`);
      if (typeof sub === 'string' && sub.includes(inText)) return { 'Fn::Sub': subText(sub) };
      if (Array.isArray(sub) && typeof sub[0] === 'string' && sub[0].includes(inText))
        return { 'Fn::Sub': [subText(sub[0]), ...sub.slice(1).map((part) => mapValue(part, replace))] };
      return undefined;
    });
  },
};
