/**
 * GraphiQL, self-hosted and light. `@graphql-yoga/render-graphiql` inlines its whole bundle
 * (about 9 MB: script, styles, editor workers, icon) into every page view, uncompressed and
 * uncacheable. Here the same bundle is served as separate assets under `/graphiql/`, named by
 * their content hash (cached for a year, `immutable`), compressed once with brotli and gzip and
 * picked by `Accept-Encoding`; the page itself is a few hundred bytes plus its options. Still
 * offline: every byte comes from this origin.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';

/** Where the assets are served; not under the GraphQL endpoint. */
export const GRAPHIQL_ASSETS_PATH = '/graphiql/';

const IMMUTABLE = 'public, max-age=31536000, immutable';

const assetResponses = new WeakSet<Response>();

/**
 * Whether a response is one of GraphiQL's assets: public and immutable, so the gateway's
 * `no-store` for results (which carry tokens) must not replace its Cache-Control.
 */
export const isGraphiQLAsset = (response: Response): boolean => assetResponses.has(response);
const compressBrotli = promisify(brotliCompress);
const compressGzip = promisify(gzip);

interface Asset {
  type: string;
  identity: Buffer;
  /** Resolves once; compression runs on libuv's thread pool, not on the event loop. */
  encoded: Promise<{ br: Buffer; gzip: Buffer }>;
}

interface Bundle {
  /** The asset URLs the page links to. */
  urls: { script: string; style: string; icon: string };
  byName: Map<string, Asset>;
}

function makeAsset(type: string, extension: string, identity: Buffer): [string, Asset] {
  const name = `${createHash('sha256').update(identity).digest('hex').slice(0, 16)}.${extension}`;
  const encoded = Promise.all([
    compressBrotli(identity, {
      params: {
        // Quality 5: 5% larger than quality 9 at a seventh of its time (0.6 s against 4.4 s for
        // the script here), paid by the first page view; 11 would take about 50 s.
        [constants.BROTLI_PARAM_QUALITY]: 5,
        [constants.BROTLI_PARAM_SIZE_HINT]: identity.length,
      },
    }),
    // Level 6 (the default): level 9 saves under 0.5% for twice the time.
    compressGzip(identity, { level: 6 }),
  ]).then(([br, gz]) => ({ br, gzip: gz }));
  // Nobody may be waiting yet; a failure is reported to whoever asks for the asset.
  encoded.catch(() => {});
  return [name, { type, identity, encoded }];
}

async function loadBundle(): Promise<Bundle> {
  const parts = await import('@graphql-yoga/render-graphiql/graphiql');
  // The editor's workers start from blob: URLs (CSP worker-src blob:), as in Yoga's own page.
  const script = `(function () {
  function prepareBlob(content) {
    return URL.createObjectURL(new Blob([content], { type: 'application/javascript' }));
  }
  var workers = {
    editorWorkerService: prepareBlob(${JSON.stringify(parts.editorWorkerService)}),
    json: prepareBlob(${JSON.stringify(parts.jsonWorker)}),
    graphql: prepareBlob(${JSON.stringify(parts.graphqlWorker)}),
  };
  self['MonacoEnvironment'] = {
    globalAPI: false,
    getWorkerUrl: function (moduleId, label) { return workers[label]; },
  };
})();
${parts.js};
`;
  const icon = /^data:([^;,]+);base64,(.*)$/s.exec(parts.favicon);
  const entries = [
    makeAsset('text/javascript; charset=utf-8', 'js', Buffer.from(script)),
    makeAsset('text/css; charset=utf-8', 'css', Buffer.from(parts.css)),
    makeAsset(icon?.[1] ?? 'image/x-icon', 'ico', Buffer.from(icon?.[2] ?? '', 'base64')),
  ];
  const [script_, style, iconAsset] = entries.map(([name]) => `${GRAPHIQL_ASSETS_PATH}${name}`);
  return {
    urls: { script: script_ as string, style: style as string, icon: iconAsset as string },
    byName: new Map(entries),
  };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

// JSON inside <script>: `<` escaped, so no value can close the element.
const scriptJson = (value: unknown) => JSON.stringify(value ?? {}).replace(/</g, '\\u003c');

/** The encoding to send for this Accept-Encoding: brotli, then gzip, else none. */
export function pickEncoding(acceptEncoding: string | null): 'br' | 'gzip' | undefined {
  const weights = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').toLowerCase().split(',')) {
    const [name = '', ...params] = part.trim().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean);
    if (name) weights.set(name.trim(), q === undefined ? 1 : Number(q));
  }
  const accepts = (name: string) => (weights.get(name) ?? weights.get('*') ?? 0) > 0;
  if (accepts('br')) return 'br';
  if (accepts('gzip') || (weights.get('x-gzip') ?? 0) > 0) return 'gzip';
  return undefined;
}

/**
 * The GraphiQL page renderer (Yoga's `renderGraphiQL`) and the plugin that serves its assets.
 * Nothing is loaded until the first page view or asset request: an instance that never serves
 * GraphiQL never holds the bundle.
 */
export function createGraphiQLPage() {
  let bundle: Promise<Bundle> | undefined;
  const load = () => {
    bundle ??= loadBundle();
    return bundle;
  };

  const render = async (options: GraphiQLOptions): Promise<string> => {
    const { urls } = await load();
    return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options?.title || 'GraphiQL')}</title>
    <link rel="icon" href="${urls.icon}" />
    <link rel="stylesheet" href="${urls.style}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    <script src="${urls.script}"></script>
    <script>YogaGraphiQL.renderYogaGraphiQL(document.querySelector('#root'), ${scriptJson(options)});</script>
  </body>
</html>
`;
  };

  const plugin: Plugin = {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith(GRAPHIQL_ASSETS_PATH)) return;
      const name = url.pathname.slice(GRAPHIQL_ASSETS_PATH.length);
      const asset =
        request.method === 'GET' || request.method === 'HEAD'
          ? (await load()).byName.get(name)
          : undefined;
      if (!asset) {
        endResponse(
          new fetchAPI.Response('Not found', {
            status: 404,
            headers: { 'content-type': 'text/plain; charset=utf-8' },
          }),
        );
        return;
      }
      const encoding = pickEncoding(request.headers.get('accept-encoding'));
      const body = encoding ? (await asset.encoded)[encoding] : asset.identity;
      const headers: Record<string, string> = {
        'content-type': asset.type,
        'content-length': String(body.length),
        'cache-control': IMMUTABLE,
        vary: 'Accept-Encoding',
      };
      if (encoding) headers['content-encoding'] = encoding;
      const response = new fetchAPI.Response(
        request.method === 'HEAD' ? null : new Uint8Array(body),
        { status: 200, headers },
      );
      assetResponses.add(response);
      endResponse(response);
    },
  };

  return { render, plugin };
}
