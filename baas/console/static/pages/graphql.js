// GraphQL: GraphiQL, served by baas (never from a CDN), sending the admin's token.
//
// GraphiQL is given the schema from /admin/graphql-schema (the introspection result, for
// admins only) instead of asking /graphql, which refuses introspection outside dev: so
// its Docs panel and autocompletion work in prod too, and it never sends that query.

import { api, graphqlFetch } from "../api.js";
import { errorBox, fill, h } from "../ui.js";

let loaded = null;

function load(tag, attributes) {
  return new Promise((resolve, reject) => {
    const element = Object.assign(document.createElement(tag), attributes);
    element.onload = resolve;
    element.onerror = () => reject(new Error(`${attributes.src || attributes.href} could not be loaded: run make setup on the server`));
    document.head.append(element);
  });
}

function loadGraphiQL() {
  if (!loaded) {
    loaded = (async () => {
      await load("link", { rel: "stylesheet", href: "/console/vendor/graphiql.min.css" });
      await load("script", { src: "/console/vendor/react.production.min.js" });
      await load("script", { src: "/console/vendor/react-dom.production.min.js" });
      await load("script", { src: "/console/vendor/graphiql.min.js" });
    })();
    loaded.catch(() => {
      loaded = null;
    });
  }
  return loaded;
}

export async function mount(container) {
  const host = h("div", { class: "graphiql-host" }, "Loading GraphiQL…");
  fill(
    container,
    h("h1", {}, "GraphQL"),
    h("p", { class: "muted" }, "Operations run as you, the signed-in admin, under the app's rules."),
    host,
  );
  let schema;
  try {
    [schema] = await Promise.all([api("/admin/graphql-schema"), loadGraphiQL()]);
  } catch (error) {
    fill(host, errorBox(error));
    return null;
  }
  const root = window.ReactDOM.createRoot(host);
  root.render(
    window.React.createElement(window.GraphiQL, {
      fetcher: graphqlFetch,
      schema: schema.data, // {__schema: ...}: GraphiQL builds the schema from it
      defaultQuery: "# Ctrl-Enter runs the operation; the Docs panel lists every field.\n{\n  __typename\n}\n",
    }),
  );
  return { stop: () => root.unmount() };
}
