// A real OpenID provider for the social-login integration tests (npm oidc-provider).
//
//   node tests/oidc/provider.mjs PORT REDIRECT_URI[,REDIRECT_URI...] [CONFORMING_PORT]
//
// One confidential client ("baas-test" / "baas-test-secret") with the given redirect
// URIs; any login name signs in as the account of that id, whose email is
// "<login>@example.com" (verified, unless the login starts with "unverified").
// Dev interactions (login and consent forms) are on.
//
// This provider puts the email in the ID token. With CONFORMING_PORT, a second one is
// served there that follows the OIDC default instead: the claims a scope asks for
// (email, email_verified) are only in the UserInfo answer, never in the ID token.
//
// Under /wrongaud the same provider is served with a token endpoint that re-signs the
// ID token for another audience, so the tests can check that baas refuses it.
import Provider from 'oidc-provider';
import * as jose from 'jose';

const port = Number(process.argv[2]);
const redirectUris = process.argv[3].split(',');
const issuer = `http://127.0.0.1:${port}`;

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await jose.exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

const configuration = (conform) => ({
  clients: [{
    client_id: 'baas-test',
    client_secret: 'baas-test-secret',
    redirect_uris: redirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingJwk] },
  features: { devInteractions: { enabled: true } },
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  // false: put email in the ID token, not only in userinfo
  conformIdTokenClaims: conform,
  cookies: { keys: ['oidc-test-cookie-key'] },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: `${id}@example.com`, email_verified: !id.startsWith('unverified') };
      },
    };
  },
});

const provider = new Provider(issuer, configuration(false));

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/wrongaud/.well-known/openid-configuration') {
    const real = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
    ctx.body = { ...real, token_endpoint: `${issuer}/wrongaud/token` };
    return;
  }
  if (ctx.path === '/wrongaud/token' && ctx.method === 'POST') {
    const answer = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: ctx.get('authorization'),
        'content-type': ctx.get('content-type'),
      },
      body: await readBody(ctx.req),
    });
    const tokens = await answer.json();
    if (tokens.id_token) {
      const claims = jose.decodeJwt(tokens.id_token);
      tokens.id_token = await new jose.SignJWT({ ...claims, aud: 'someone-else' })
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
        .sign(privateKey);
    }
    ctx.status = answer.status;
    ctx.body = tokens;
    return;
  }
  await next();
});

const conformingPort = process.argv[4] ? Number(process.argv[4]) : null;
if (conformingPort !== null) {
  const conforming = new Provider(`http://127.0.0.1:${conformingPort}`, configuration(true));
  await new Promise((resolve) => conforming.listen(conformingPort, '127.0.0.1', resolve));
}

provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
