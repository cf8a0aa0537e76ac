/**
 * Introspection off. Which fields count as introspection is graphql-js's own rule
 * (NoSchemaIntrospectionCustomRule: any field of an introspection type, so `__schema` and
 * `__type` but not `__typename`). Its answer is not ours, so it is translated: graphql-js reports
 * every such field with a message quoting the field's name from the query and no code; the
 * gateway answers once per document, 400 BAD_USER_INPUT with reason INTROSPECTION_DISABLED, and a
 * message that quotes nothing the caller sent.
 */

import {
  type GraphQLError,
  NoSchemaIntrospectionCustomRule,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { limitRefusal } from './refusal.js';

/** Refuses `__schema` and `__type` (not `__typename`), once per document. */
export const noIntrospectionRule: ValidationRule = (context) => {
  let reported = false;
  // The library's rule sees the real context, except that its reports come here.
  const translating: ValidationContext = Object.create(context, {
    reportError: {
      value: (error: GraphQLError) => {
        if (reported) return;
        reported = true;
        context.reportError(
          Object.assign(
            limitRefusal('INTROSPECTION_DISABLED', 'Introspection is turned off on this gateway.'),
            { nodes: error.nodes },
          ),
        );
      },
    },
  });
  return NoSchemaIntrospectionCustomRule(translating);
};

/** Turns introspection off (400 BAD_USER_INPUT, reason INTROSPECTION_DISABLED). */
export function useNoIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(noIntrospectionRule);
    },
  };
}
