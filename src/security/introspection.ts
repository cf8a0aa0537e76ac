import { getNamedType, isIntrospectionType, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { limitRefusal } from './refusal.js';

/** Refuses `__schema` and `__type` (not `__typename`), once per document. */
export const noIntrospectionRule: ValidationRule = (context) => {
  let reported = false;
  return {
    Field(node) {
      if (reported) return;
      const type = getNamedType(context.getType());
      if (type && isIntrospectionType(type)) {
        reported = true;
        context.reportError(
          Object.assign(
            limitRefusal('INTROSPECTION_DISABLED', 'Introspection is turned off on this gateway.'),
            { nodes: [node] },
          ),
        );
      }
    },
  };
};

/** Turns introspection off (400 BAD_USER_INPUT, reason INTROSPECTION_DISABLED). */
export function useNoIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(noIntrospectionRule);
    },
  };
}
