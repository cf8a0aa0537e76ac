import type { DocumentNode, GraphQLError, GraphQLSchema, ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Rule lists remembered (one per distinct set of rules the plugins add; one in practice). */
const RULE_LISTS_MAX = 8;

interface RuleList {
  schema: GraphQLSchema;
  /** The functions of the last request that used this list. */
  rules: readonly ValidationRule[];
  results: WeakMap<DocumentNode, readonly GraphQLError[]>;
}

/**
 * Validation results by document, as Yoga's own validation cache keeps them: per schema and per
 * list of rules the plugins before it added, with the list told apart by the rules' names (a plugin
 * may make a new function for the same rule on every request). Yoga reads and joins those names on
 * every request, a tenth of the fast path's CPU; here a list whose functions are the very ones of
 * the last request (the gateway's own rules are made once) is found without reading a name.
 *
 * It must come after every plugin that adds a validation rule: the gateway puts it last of its
 * plugins and a host's, and Yoga's own validation cache is switched off.
 */
export function useValidationCache(): Plugin {
  const byNames = new Map<string, RuleList>();
  let last: RuleList | undefined;
  const listFor = (schema: GraphQLSchema, rules: readonly ValidationRule[]): RuleList => {
    if (last && last.schema === schema && sameFunctions(last.rules, rules)) return last;
    const key = rules.map((rule) => rule.name).join(',');
    let list = byNames.get(key);
    if (!list || list.schema !== schema) {
      list = { schema, rules, results: new WeakMap() };
      if (byNames.size >= RULE_LISTS_MAX) byNames.clear();
      byNames.set(key, list);
    }
    list.rules = [...rules];
    last = list;
    return list;
  };
  return {
    onValidate({ params: { schema, documentAST, rules }, setResult }) {
      if (schema == null) return;
      const { results } = listFor(schema, rules ?? []);
      const known = results.get(documentAST);
      if (known) {
        setResult([...known]);
        return;
      }
      return ({ result }) => {
        if (result != null) results.set(documentAST, result as readonly GraphQLError[]);
      };
    },
  };
}

const sameFunctions = (a: readonly ValidationRule[], b: readonly ValidationRule[]): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
};
