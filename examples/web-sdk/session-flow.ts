/**
 * The whole Circle Web SDK flow around the session keeper, with nothing of the page in it:
 * device id → login result in → keeper → `setAuthentication` on every new session, in every tab.
 * main.ts wires it to the page; docs/client.md walks through it step by step.
 */
import {
  type CircleSession,
  createSessionKeeper,
  type GatewayError,
  type SessionKeeper,
  type SessionKeeperOptions,
} from '../../src/client/index.js';

/**
 * The part of Circle's Web SDK (`W3SSdk` from `@circle-fin/w3s-pw-web-sdk` 1.1) this flow uses.
 * Written out so this file type-checks without the SDK installed; a `W3SSdk` satisfies it.
 */
export interface WebSdk {
  getDeviceId(): Promise<string>;
  updateConfigs(
    configs: { appSettings: { appId: string }; loginConfigs: EmailLoginConfigs },
    onLoginComplete: (error: SdkError | undefined, result: LoginResult | undefined) => void,
  ): void;
  verifyOtp(): void;
  setAuthentication(auth: { userToken: string; encryptionKey: string }): void;
}

/** The SDK's own error shape (not a JS Error). */
export interface SdkError {
  code?: number;
  message: string;
}

/** What your backend gets from Circle (`POST /v1/w3s/users/email/token`, API key) for a device. */
export interface EmailLoginConfigs {
  deviceToken: string;
  deviceEncryptionKey: string;
  otpToken?: string;
}

/** The Web SDK's login result (email OTP or social): no expiry, the keeper reads it from the JWT. */
export interface LoginResult {
  userToken: string;
  encryptionKey: string;
  refreshToken: string;
}

export interface CircleSessionFlowOptions {
  sdk: WebSdk;
  /** Your app id from Circle's console. */
  appId: string;
  /** The gateway's GraphQL endpoint. */
  gatewayUrl: string;
  /** Asks your backend for the device's login configs (it holds the API key, not the browser). */
  requestEmailLogin: (deviceId: string, email: string) => Promise<EmailLoginConfigs>;
  /** The session is over: show the login again. */
  onLoggedOut: (error: GatewayError) => void;
  /** Signed in (login, another tab's login, or a reload): the SDK can run challenges now. */
  onSignedIn?: () => void;
  /** More keeper options (storage, margins…). */
  keeper?: Omit<SessionKeeperOptions, 'url' | 'onSession' | 'onSessionExpired'>;
}

export interface CircleSessionFlow {
  keeper: SessionKeeper;
  /** Step 1 to 3: device id, your backend, Circle's OTP screen. Resolves once logged in. */
  login(email: string): Promise<void>;
  logout(): void;
}

export function createCircleSessionFlow(options: CircleSessionFlowOptions): CircleSessionFlow {
  const { sdk, appId, gatewayUrl, requestEmailLogin, onLoggedOut, onSignedIn } = options;

  // Step 4: every session the keeper has (the login's, a refresh's, another tab's) goes to the
  // SDK, so challenges always run with a live token.
  const keeper = createSessionKeeper({
    ...options.keeper,
    url: gatewayUrl,
    onSession(session) {
      sdk.setAuthentication({
        userToken: session.userToken,
        encryptionKey: session.encryptionKey ?? '',
      });
      onSignedIn?.();
    },
    onSessionExpired: onLoggedOut,
  });
  // A reload, or a second tab: the stored session is picked up without logging in again.
  keeper.start();

  return {
    keeper,
    async login(email) {
      // Step 1: the SDK's device id; the session and every refresh are bound to it.
      const deviceId = await sdk.getDeviceId();
      // Step 2: your backend asks Circle for this device's login tokens.
      const loginConfigs = await requestEmailLogin(deviceId, email);
      // Step 3: Circle's OTP screen; its result starts the keeper.
      const result = await new Promise<LoginResult>((resolve, reject) => {
        sdk.updateConfigs({ appSettings: { appId }, loginConfigs }, (error, login) => {
          if (error || !login) reject(new Error(error?.message ?? 'The login did not complete.'));
          else resolve(login);
        });
        sdk.verifyOtp();
      });
      const session: CircleSession = { ...result, deviceId };
      keeper.start(session);
    },
    logout() {
      keeper.clear();
    },
  };
}
