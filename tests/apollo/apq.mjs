// Apollo Client's persisted-queries link against a baas API: node apq.mjs GRAPHQL_URL TOKEN
//
// Runs the round trips the APQ test asserts on and prints one JSON object: what each
// operation answered and every HTTP request the link made (method, whether the document
// was sent, the hash, the answer's error codes). Started by
// tests/integration/graphql/test_apollo_persisted_queries.py.
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { sha256 } from "crypto-hash";

const [url, token] = process.argv.slice(2);
const requests = [];

async function recordingFetch(input, init = {}) {
  const target = new URL(typeof input === "string" ? input : input.url);
  const method = (init.method || "GET").toUpperCase();
  const sent = method === "GET"
    ? Object.fromEntries(target.searchParams)
    : JSON.parse(init.body);
  const extensions = typeof sent.extensions === "string" ? JSON.parse(sent.extensions) : sent.extensions;
  const response = await fetch(input, init);
  const body = await response.clone().json();
  requests.push({
    method,
    status: response.status,
    query: typeof sent.query === "string" && sent.query.length > 0 ? sent.query : null,
    hash: extensions?.persistedQuery?.sha256Hash ?? null,
    codes: (body.errors || []).map((error) => error.extensions?.code),
  });
  return response;
}

function client(useGETForHashedQueries) {
  return new ApolloClient({
    cache: new InMemoryCache(),
    link: new PersistedQueryLink({ sha256, useGETForHashedQueries }).concat(
      new HttpLink({ uri: url, fetch: recordingFetch, headers: { authorization: `Bearer ${token}` } }),
    ),
  });
}

async function step(name, run) {
  const before = requests.length;
  const result = await run();
  return { name, data: result.data ?? null, error: result.error ? String(result.error) : null, requests: requests.slice(before) };
}

const VIEWER = gql`query ApolloViewer { viewer { authenticated userId } }`;
const GROUPS = gql`query ApolloGroups { viewer { groups } }`;
const CREATE = gql`mutation ApolloCreate($name: String!) { createBoard(input: { name: $name }) { name } }`;

const post = client(false);
const get = client(true);
const steps = [
  await step("post-first", () => post.query({ query: VIEWER, fetchPolicy: "network-only" })),
  await step("post-again", () => post.query({ query: VIEWER, fetchPolicy: "network-only" })),
  await step("other-client", () => client(false).query({ query: VIEWER, fetchPolicy: "network-only" })),
  await step("get-first", () => get.query({ query: GROUPS, fetchPolicy: "network-only" })),
  await step("get-again", () => get.query({ query: GROUPS, fetchPolicy: "network-only" })),
  await step("mutation-first", () => get.mutate({ mutation: CREATE, variables: { name: "apollo-1" } })),
  await step("mutation-again", () => get.mutate({ mutation: CREATE, variables: { name: "apollo-2" } })),
];
process.stdout.write(JSON.stringify(steps) + "\n");
