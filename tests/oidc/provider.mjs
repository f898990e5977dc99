// A real OpenID provider for the social-login integration tests (npm oidc-provider).
//
//   node tests/oidc/provider.mjs PORT REDIRECT_URI[,REDIRECT_URI...]
//
// One confidential client ("baas-test" / "baas-test-secret") with the given redirect
// URIs; any login name signs in as the account of that id, whose email is
// "<login>@example.com" (verified). Dev interactions (login and consent forms) are on.
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

const provider = new Provider(issuer, {
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
  conformIdTokenClaims: false, // put email in the ID token, not only in userinfo
  cookies: { keys: ['oidc-test-cookie-key'] },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: `${id}@example.com`, email_verified: true };
      },
    };
  },
});

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

provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
