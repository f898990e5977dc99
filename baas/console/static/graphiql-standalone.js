// Dev's GraphiQL at GET /graphql: no sign-in here (paste "Authorization: Bearer …" into
// the headers tab); the console's GraphQL page sends the signed-in admin's token itself.
const fetcher = GraphiQL.createFetcher({ url: "/graphql" });
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, { fetcher, defaultEditorToolsVisibility: true }),
);
