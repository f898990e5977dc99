// A small typed use of the client with types generated from the example app's schema.
// Type-checked (tsc --noEmit), never run: the lines marked @ts-expect-error must be
// refused, so the generated types are really in force.
import { createClient } from "../../src/index.js";
import type {
  BoardWithTodosQuery,
  BoardWithTodosQueryVariables,
  CreateTodoMutation,
  CreateTodoMutationVariables,
  TodoCreatedSubscription,
} from "./__generated__/baas-types.js";

const BOARD = /* GraphQL */ `query BoardWithTodos($id: String!, $limit: Int) { ... }`;
const CREATE = /* GraphQL */ `mutation CreateTodo($boardId: String!, $title: String!) { ... }`;
const CREATED = /* GraphQL */ `subscription TodoCreated { ... }`;

export async function typedUsage(): Promise<string[]> {
  const baas = createClient({ url: "http://127.0.0.1:8000", mode: "cookie" });

  const data = await baas.graphql<BoardWithTodosQuery, BoardWithTodosQueryVariables>(BOARD, {
    id: "b1",
    limit: 20,
  });
  const name: string | null | undefined = data.getBoard?.name;
  const titles: string[] = data.todosByBoardId.items.map((todo) => todo.title ?? "");
  const done: boolean | null | undefined = data.todosByBoardId.items[0]?.done;

  // @ts-expect-error: `limit` is an Int, not a string
  await baas.graphql<BoardWithTodosQuery, BoardWithTodosQueryVariables>(BOARD, { id: "b1", limit: "20" });
  // @ts-expect-error: `boardId` is required
  await baas.graphql<CreateTodoMutation, CreateTodoMutationVariables>(CREATE, { title: "x" });
  // @ts-expect-error: a board has no `owners` field
  void data.getBoard?.owners;

  const created = await baas.graphql<CreateTodoMutation, CreateTodoMutationVariables>(CREATE, {
    boardId: "b1",
    title: "Write the docs",
  });
  const version: number | null = created.createTodo.version;

  baas.subscribe<TodoCreatedSubscription>(CREATED, undefined, {
    next: (event) => titles.push(event.onTodoCreated.title ?? ""),
  });
  return [name ?? "", String(done), String(version), ...titles];
}
