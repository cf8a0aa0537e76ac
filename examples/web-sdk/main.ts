/**
 * The page's wiring. Not type-checked with the repository (it needs the Web SDK installed); build
 * it with the steps in docs/client.md. session-flow.ts holds the flow itself.
 */
import { W3SSdk } from '@circle-fin/w3s-pw-web-sdk';
import { createCircleSessionFlow } from './session-flow.js';

const config = {
  appId: 'your-circle-app-id',
  gatewayUrl: 'https://gateway.example.com/graphql',
  backendUrl: '/api/circle/email-login',
};

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = (text: string) => {
  $('status').textContent = text;
};

const sdk = new W3SSdk({ appSettings: { appId: config.appId } });

const flow = createCircleSessionFlow({
  sdk,
  appId: config.appId,
  gatewayUrl: config.gatewayUrl,
  // Your backend calls Circle's POST /v1/w3s/users/email/token with its API key.
  async requestEmailLogin(deviceId, email) {
    const response = await fetch(config.backendUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deviceId, email }),
    });
    if (!response.ok) throw new Error(`The login service answered ${response.status}.`);
    return response.json();
  },
  onSignedIn() {
    const expiresAt = flow.keeper.session?.expiresAt;
    status(`Signed in. The session is refreshed before ${expiresAt}, in one tab for all.`);
  },
  onLoggedOut(error) {
    status(`Signed out (${error.code}). Log in again.`);
  },
});

$<HTMLFormElement>('login').addEventListener('submit', (event) => {
  event.preventDefault();
  const email = $<HTMLInputElement>('email').value;
  status('Check your email for the code…');
  flow.login(email).catch((error: Error) => status(`Login failed: ${error.message}`));
});

$<HTMLButtonElement>('logout').addEventListener('click', () => flow.logout());

// A challenge from your backend (a transfer, a signature…) runs with the kept session.
$<HTMLFormElement>('challenge').addEventListener('submit', (event) => {
  event.preventDefault();
  sdk.execute($<HTMLInputElement>('challenge-id').value, (error, result) => {
    status(error ? `Challenge failed: ${error.message}` : `Challenge ${result?.status}`);
  });
});
