import { type Answer, errorAnswer, isPlainObject, jsonAnswer, type ParsedBody } from './answer.js';
import { CIRCLE_ERRORS, PARAMETER_INVALID } from './errors.js';
import { isFaultSpecError, type SimulatorFault } from './faults.js';
import { type SessionInput, validateSessionInput } from './state.js';
import type { CircleSimulator } from './types.js';

/**
 * The simulator's own endpoints under /simulator/: test plumbing for tools that only speak HTTP
 * (curl, a gateway started in another process). No API key: they are not Circle's.
 */
export function handleHelperCall(
  simulator: CircleSimulator,
  method: string,
  path: string,
  body: ParsedBody,
): Answer {
  const route = `${method} ${path}`;
  switch (route) {
    case 'GET /simulator/health':
      return jsonAnswer(200, { status: 'ok' });

    case 'POST /simulator/sessions': {
      const input = objectBody(body);
      if (input === undefined) return badRequest('The body must be a JSON object or empty.');
      const problems = validateSessionInput(input as SessionInput);
      if (problems.length > 0) return badRequest(problems.join(' '));
      const { userId, deviceId } = input as SessionInput;
      const session = simulator.createSession({
        ...(userId === undefined ? {} : { userId }),
        ...(deviceId === undefined ? {} : { deviceId }),
      });
      return jsonAnswer(201, session);
    }

    case 'POST /simulator/faults': {
      try {
        const pending = simulator.injectFault(
          (body.kind === 'json' ? body.value : undefined) as SimulatorFault,
        );
        return jsonAnswer(201, { pending });
      } catch (error) {
        if (isFaultSpecError(error)) return badRequest(error.message);
        throw error;
      }
    }

    case 'DELETE /simulator/faults':
      return jsonAnswer(200, { cleared: simulator.clearFaults() });

    case 'POST /simulator/clock': {
      const advanceMs = objectBody(body)?.advanceMs;
      if (typeof advanceMs !== 'number' || !Number.isFinite(advanceMs) || advanceMs < 0) {
        return badRequest('advanceMs must be a non-negative number of milliseconds.');
      }
      simulator.advanceClock(advanceMs);
      return jsonAnswer(200, { now: simulator.now() });
    }

    case 'GET /simulator/requests':
      return jsonAnswer(200, { requests: simulator.requests });

    case 'DELETE /simulator/requests':
      return jsonAnswer(200, { cleared: simulator.clearRequests() });

    case 'POST /simulator/reset':
      simulator.reset();
      return jsonAnswer(200, { status: 'ok' });
  }

  const disable = /^\/simulator\/users\/([^/]+)\/disable$/.exec(path);
  if (disable !== null) {
    if (method !== 'POST') return errorAnswer(CIRCLE_ERRORS.methodNotAllowed, allow('POST'));
    const userId = decodeURIComponent(disable[1]!);
    try {
      simulator.disableUser(userId);
    } catch {
      return errorAnswer(CIRCLE_ERRORS.userNotFound);
    }
    return jsonAnswer(200, { userId, disabled: true });
  }

  const methods = HELPER_METHODS[path];
  if (methods !== undefined) return errorAnswer(CIRCLE_ERRORS.methodNotAllowed, allow(methods));
  return errorAnswer(CIRCLE_ERRORS.notFound);
}

const HELPER_METHODS: Record<string, string> = {
  '/simulator/health': 'GET',
  '/simulator/sessions': 'POST',
  '/simulator/faults': 'POST, DELETE',
  '/simulator/clock': 'POST',
  '/simulator/requests': 'GET, DELETE',
  '/simulator/reset': 'POST',
};

function allow(methods: string): { headers: Record<string, string> } {
  return { headers: { allow: methods } };
}

function objectBody(body: ParsedBody): Record<string, unknown> | undefined {
  if (body.kind === 'empty') return {};
  if (body.kind === 'json' && isPlainObject(body.value)) return body.value;
  return undefined;
}

function badRequest(message: string): Answer {
  return errorAnswer({ status: 400, code: PARAMETER_INVALID, message });
}
