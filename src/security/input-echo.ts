import { type ASTNode, type ExecutionResult, type GraphQLError, Kind, parse, visit } from 'graphql';
import { copyGraphQLError } from '../errors/copy-graphql-error.js';

/**
 * graphql-js words input errors with the offending value in them: `inspect(value)` for variables,
 * `print(valueNode)` for literals, and its scalars' reasons quote the value once more ("String
 * cannot represent a non string value: {value: "…"}"). The value is the caller's input, tokens
 * included, so every message that can carry one is rewritten here to name the field (its path in
 * the argument) and the type expected there instead. Both ways a request is served pass their
 * results through `normalizeResult` (src/http/error-codes-plugin.ts), which calls this.
 */

// The reasons graphql-js and its scalars give, each with the type they expected.
const REASONS: Array<[RegExp, (match: RegExpExecArray) => string]> = [
  // String, Int, Float, Boolean, ID: "<Type> cannot represent …: <value>"
  [/^(String|Int|Float|Boolean|ID) cannot represent /, (m) => `expected ${m[1]}.`],
  [/^Enum "(\w+)" cannot represent /, (m) => `expected a value of enum ${m[1]}.`],
  [/^Value "[\s\S]*" does not exist in "(\w+)" enum\./, (m) => `expected a value of enum ${m[1]}.`],
  [/^Expected value of type "([\w[\]!]+)", found /, (m) => `expected ${m[1]}.`],
  // The key is the caller's; a GraphQL name is a typo worth showing, anything else may be a token.
  [
    /^Field "([\s\S]*)" is not defined by type "(\w+)"\.([\s\S]*)$/,
    (m) =>
      /^[_A-Za-z][_0-9A-Za-z]{0,63}$/.test(m[1]!)
        ? m[0]
        : `A field that type "${m[2]}" does not define was given.${m[3]}`,
  ],
];

/** The reason without the value: the expected type, or the reason as it was when it quotes none. */
function safeReason(reason: string): string {
  for (const [pattern, rewrite] of REASONS) {
    const match = pattern.exec(reason);
    if (match) return rewrite(match);
  }
  return reason;
}

// Paths graphql-js prints are made of schema field names and list indexes only.
const PRINTED_PATH = / at "([_A-Za-z][\w]*(?:\.[_A-Za-z]\w*|\[\d+\])*)"$/;

function variableMessage(error: GraphQLError): string {
  const node = error.nodes?.[0];
  const name = node?.kind === Kind.VARIABLE_DEFINITION ? node.variable.name.value : undefined;
  const reason = error.originalError?.message;
  if (name === undefined || reason === undefined || !error.message.endsWith(`; ${reason}`)) {
    return 'A variable has an invalid value.';
  }
  const prefix = error.message.slice(0, error.message.length - reason.length - 2);
  const path = PRINTED_PATH.exec(prefix)?.[1];
  return `Variable "$${name}" has an invalid value${path ? ` at "${path}"` : ''}: ${safeReason(reason)}`;
}

/**
 * The dotted path of the literal at `node` in its operation (`input.user.userToken`), found by
 * position in the document the error points into. Errors only: the document is parsed again.
 */
function literalPath(error: GraphQLError): string | undefined {
  const start = error.nodes?.[0]?.loc?.start;
  const body = error.source?.body;
  if (start === undefined || body === undefined) return undefined;
  let document: ASTNode;
  try {
    document = parse(body);
  } catch {
    return undefined;
  }
  const names: string[] = [];
  let found: string | undefined;
  const enter = (node: { name: { value: string } }) => {
    names.push(node.name.value);
  };
  const leave = () => {
    names.pop();
  };
  visit(document, {
    Argument: { enter, leave },
    ObjectField: { enter, leave },
    enter(node) {
      if (found !== undefined) return false;
      if (node.loc?.start === start && names.length > 0 && isValue(node)) {
        found = names.join('.');
        return false;
      }
      return undefined;
    },
  });
  return found;
}

const isValue = (node: ASTNode) =>
  node.kind === Kind.STRING ||
  node.kind === Kind.INT ||
  node.kind === Kind.FLOAT ||
  node.kind === Kind.BOOLEAN ||
  node.kind === Kind.NULL ||
  node.kind === Kind.ENUM ||
  node.kind === Kind.LIST ||
  node.kind === Kind.OBJECT ||
  node.kind === Kind.VARIABLE;

// The lexer and parser describe the token they stopped at with its value (`found String "…"`,
// `Unexpected Name "…"`, `got: "…"`): the kind stays, the value goes.
const TOKEN_VALUE = /\b(Name|Int|Float|String|BlockString) "[\s\S]*"(\.?)$/;
const QUOTED_TAIL = /: "[\s\S]*"(\.?)$/;

function withoutTokenValue(message: string): string {
  return message.replace(TOKEN_VALUE, '$1$2').replace(QUOTED_TAIL, '$1');
}

/** The message with no input value in it (unchanged when it quotes none). */
export function withoutInputValues(error: GraphQLError): string {
  const message = error.message;
  if (message.startsWith('Syntax Error: ')) return withoutTokenValue(message);
  if (message.startsWith('Variable "$') && message.includes(' got invalid value ')) {
    return variableMessage(error);
  }
  // Only after validation, when a variable inside a literal argument is missing or null.
  const argument = /^Argument "(\w+)" has invalid value /.exec(message);
  if (argument) {
    return `Argument "${argument[1]}" has an invalid value: a variable in it is missing or null where a value is required.`;
  }
  const reason = safeReason(message);
  if (reason === message) return message;
  const path = literalPath(error);
  return path ? `Invalid value at "${path}": ${reason}` : `Invalid value: ${reason}`;
}

/** A result step: every error that quotes an input value loses the value (codes stay as they are). */
export function withoutEchoedInput(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.some((error) => withoutInputValues(error) !== error.message)) return result;
  return {
    ...result,
    errors: result.errors.map((error) => {
      const message = withoutInputValues(error);
      return message === error.message ? error : copyGraphQLError(error, { message });
    }),
  };
}
