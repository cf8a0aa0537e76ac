import { EnvelopArmor } from '@escape.tech/graphql-armor';
import {
  GraphQLError,
  Kind,
  Lexer,
  type SelectionSetNode,
  Source,
  TokenKind,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { limitRefusal, type RefusalReason } from './refusal.js';

/** Bounds on one GraphQL document, checked before it executes. 0 turns a bound off. */
export interface DocumentLimitsOptions {
  /**
   * Deepest selection (a fragment spread counts as a level). The schema's deepest useful
   * operation is 2; introspection is not counted.
   * @default 6
   */
  maxDepth?: number;
  /**
   * Aliases in one operation, fragments included.
   * @default 10
   */
  maxAliases?: number;
  /**
   * Lexical tokens in the query text (names, punctuation, values; not comments). GraphiQL's
   * introspection query is about 250.
   * @default 1000
   */
  maxTokens?: number;
  /**
   * Directives in one operation, fragments included.
   * @default 10
   */
  maxDirectives?: number;
  /**
   * GraphQL Armor's cost (objects 2, scalars 1, times 1.5 per level). The contract's operations
   * cost under 30; introspection is not counted.
   * @default 1000
   */
  maxCost?: number;
  /**
   * Calls of `refreshUserToken` (distinct response keys) in one mutation: each is a rotation of a
   * refresh token at Circle, so a document may not fan one request out into many.
   * @default 1
   */
  maxRefreshesPerOperation?: number;
}

export const DOCUMENT_LIMIT_DEFAULTS: Required<DocumentLimitsOptions> = {
  maxDepth: 6,
  maxAliases: 10,
  maxTokens: 1000,
  maxDirectives: 10,
  maxCost: 1000,
  maxRefreshesPerOperation: 1,
};

// Armor words its rejections as "Syntax Error: …" (and throws them as such unless told not to):
// report them as validation errors of our own, with the limit named.
const reportAs =
  (reason: RefusalReason) =>
  (context: ValidationContext | null, error: GraphQLError): void => {
    const message = error.message.replace(/^Syntax Error:\s*/, '');
    const refusal = limitRefusal(reason, message);
    if (context) context.reportError(refusal);
    else throw refusal;
  };

const armorLimit = (n: number, reason: RefusalReason) => ({
  enabled: n > 0,
  exposeLimits: true,
  propagateOnRejection: false,
  onReject: [reportAs(reason)],
});

/** How many counted texts the token step remembers, and the longest it remembers. */
const COUNTED_TEXTS_MAX = 64;
const COUNTED_TEXT_MAX_LENGTH = 4096;

/** True when `query` has more than `max` tokens. A lexer error stops the count: the parser reports it. */
export function exceedsTokens(query: string, max: number): boolean {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      count += 1;
      if (count > max) return true;
    }
  } catch (error) {
    if (error instanceof GraphQLError) return false;
    throw error;
  }
  return false;
}

/** At most `max` distinct response keys of `field` on the mutation root of each operation. */
export function maxRootFieldCallsRule(field: string, max: number): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      if (operation.operation !== 'mutation') return;
      const keys = new Set<string>();
      const spread = new Set<string>();
      const collect = (selectionSet: SelectionSetNode) => {
        for (const selection of selectionSet.selections) {
          if (selection.kind === Kind.FIELD) {
            if (selection.name.value === field) {
              keys.add(selection.alias?.value ?? selection.name.value);
            }
          } else if (selection.kind === Kind.INLINE_FRAGMENT) {
            collect(selection.selectionSet);
          } else if (!spread.has(selection.name.value)) {
            spread.add(selection.name.value);
            const fragment = context.getFragment(selection.name.value);
            if (fragment) collect(fragment.selectionSet);
          }
        }
      };
      collect(operation.selectionSet);
      if (keys.size > max) {
        context.reportError(
          limitRefusal(
            'TOO_MANY_MUTATIONS',
            `An operation may call ${field} at most ${max === 1 ? 'once' : `${max} times`} (found ${keys.size}).`,
          ),
        );
      }
    },
  });
}

/**
 * Depth, aliases, directives and cost (GraphQL Armor's rules, reported as 400 BAD_USER_INPUT with
 * the limit in `extensions.reason`), tokens (counted before parsing), and one refresh per
 * operation.
 */
export function createDocumentLimits(options: DocumentLimitsOptions = {}) {
  const limits = { ...DOCUMENT_LIMIT_DEFAULTS, ...options };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`${name} must be a whole number >= 0 (0 turns the limit off)`);
    }
  }
  const armor = new EnvelopArmor({
    blockFieldSuggestion: { enabled: false },
    maxTokens: { enabled: false },
    maxDepth: { ...armorLimit(limits.maxDepth, 'MAX_DEPTH'), n: limits.maxDepth },
    maxAliases: { ...armorLimit(limits.maxAliases, 'MAX_ALIASES'), n: limits.maxAliases },
    maxDirectives: {
      ...armorLimit(limits.maxDirectives, 'MAX_DIRECTIVES'),
      n: limits.maxDirectives,
    },
    costLimit: { ...armorLimit(limits.maxCost, 'MAX_COST'), maxCost: limits.maxCost },
  }).protect();
  const refreshes =
    limits.maxRefreshesPerOperation > 0
      ? maxRootFieldCallsRule('refreshUserToken', limits.maxRefreshesPerOperation)
      : undefined;
  // Texts already counted within the limit: the same few operations arrive on every request, and
  // a lookup costs a hash where lexing them again costs the most of this step. Bounded by entries
  // and by the size of each text; a text over the limit is never remembered.
  const withinLimit = new Set<string>();
  const tokenStep = <P extends { query?: unknown }>(params: P): P => {
    const query = params.query;
    if (limits.maxTokens <= 0 || typeof query !== 'string' || withinLimit.has(query)) {
      return params;
    }
    if (exceedsTokens(query, limits.maxTokens)) {
      throw limitRefusal('MAX_TOKENS', `Token limit of ${limits.maxTokens} exceeded.`);
    }
    if (query.length <= COUNTED_TEXT_MAX_LENGTH) {
      if (withinLimit.size >= COUNTED_TEXTS_MAX) withinLimit.clear();
      withinLimit.add(query);
    }
    return params;
  };
  // Armor's plugins make a new rule function on every request; made once here, the rules are the
  // same functions each time, so the validation cache knows the list without reading its names.
  const rules: ValidationRule[] = [];
  for (const plugin of armor.plugins as Plugin[]) {
    plugin.onValidate?.({ addValidationRule: (rule: ValidationRule) => rules.push(rule) } as never);
  }
  if (refreshes) rules.push(refreshes);
  return {
    /** The envelop part (Armor's rules, the refresh count): runs on every transport. */
    plugin: {
      onValidate({ addValidationRule }) {
        for (const rule of rules) addValidationRule(rule);
      },
    } satisfies Plugin as Plugin,
    /** The token count, a step over the request's parameters (before parsing). */
    tokenStep,
  };
}
