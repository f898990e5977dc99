// A relying party that signs its users in with baas, on the unmodified openid-client
// library (v6): discovery, authorization code with PKCE S256, state and nonce, the ID
// token validated by the library, userinfo, refresh, revocation and RP-initiated logout.
//
//   node rp.mjs <port> <issuer> <client_id> <client_secret>
//
// Prints "ready" once it listens on http://localhost:<port>. Each page shows what the
// library returned as JSON in <pre id=result>, or its error in <pre id=error>.
import http from 'node:http'
import * as client from 'openid-client'

const [port, issuer, clientId, clientSecret] = process.argv.slice(2)
const base = `http://localhost:${port}`
// baas runs on plain http in the test: the library refuses that unless told.
const config = await client.discovery(
  new URL(issuer), clientId, undefined, client.ClientSecretBasic(clientSecret),
  { execute: [client.allowInsecureRequests] },
)
const flows = new Map() // state -> { verifier, nonce }
let tokens = null // the last token response and its ID token claims

function page(response, status, id, value) {
  const text = JSON.stringify(value, null, 2).replace(/&/g, '&amp;').replace(/</g, '&lt;')
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8' })
  response.end(`<!doctype html><title>RP</title><pre id=${id}>${text}</pre>`)
}

async function login(response) {
  const verifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()
  flows.set(state, { verifier, nonce })
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: `${base}/callback`,
    scope: 'openid email profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  })
  response.writeHead(302, { location: url.href })
  response.end()
}

async function callback(url, response) {
  const flow = flows.get(url.searchParams.get('state'))
  flows.delete(url.searchParams.get('state'))
  const granted = await client.authorizationCodeGrant(config, url, {
    pkceCodeVerifier: flow?.verifier,
    expectedState: url.searchParams.get('state'),
    expectedNonce: flow?.nonce,
    idTokenExpected: true,
  })
  const claims = granted.claims()
  const userinfo = await client.fetchUserInfo(config, granted.access_token, claims.sub)
  const refreshed = await client.refreshTokenGrant(config, granted.refresh_token)
  const again = await client.fetchUserInfo(config, refreshed.access_token, claims.sub)
  tokens = { id_token: granted.id_token, refresh_token: refreshed.refresh_token, claims }
  page(response, 200, 'result', {
    claims,
    userinfo,
    refreshed: refreshed.refresh_token !== granted.refresh_token,
    userinfo_after_refresh: again,
  })
}

async function revoke(response) {
  await client.tokenRevocation(config, tokens.refresh_token, { token_type_hint: 'refresh_token' })
  try {
    await client.refreshTokenGrant(config, tokens.refresh_token)
    page(response, 200, 'result', { revoked: false })
  } catch (error) {
    page(response, 200, 'result', { revoked: true, error: error.error ?? error.code })
  }
}

function logout(response) {
  const url = client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: `${base}/bye`,
    state: 'bye-state',
  })
  response.writeHead(302, { location: url.href })
  response.end()
}

http.createServer(async (request, response) => {
  const url = new URL(request.url, base)
  try {
    if (url.pathname === '/login') return await login(response)
    if (url.pathname === '/callback') return await callback(url, response)
    if (url.pathname === '/revoke') return await revoke(response)
    if (url.pathname === '/logout') return logout(response)
    if (url.pathname === '/bye') {
      return page(response, 200, 'result', { signed_out: true, state: url.searchParams.get('state') })
    }
    page(response, 404, 'error', { error: 'not found' })
  } catch (error) {
    page(response, 500, 'error', { error: error.error ?? error.code ?? String(error), message: error.message })
  }
}).listen(Number(port), '127.0.0.1', () => console.log('ready'))
