// Data: the app's tables; query, scan, page; open, edit, create and delete items as
// DynamoDB JSON (types shown); a live view of a table's changes.
//
// Every write is conditional on what the editor showed: the version attribute where the
// table has one (model tables: "version"), else every attribute shown. A change made
// meanwhile by anyone (GraphQL, a function, boto3) makes the write fail and is reported;
// it is never overwritten.

import { dynamodb, streams, api } from "../api.js";
import { act, confirmDialog, emptyState, errorBox, field, fill, formatTime, h, json, notice, pager, parseJson, table } from "../ui.js";

const PAGE_SIZE = 25;
const FEED_POLL_MS = 1000;
const FEED_KEEP = 50;

/** A DynamoDB attribute value shown short, with its type: {"S": "x"} -> x. */
function show(value) {
  if (value === undefined) return "";
  const [type, inner] = Object.entries(value)[0] || ["", ""];
  if (type === "S" || type === "N") return String(inner);
  if (type === "BOOL") return String(inner);
  if (type === "NULL") return "null";
  return `${type} ${JSON.stringify(inner)}`.slice(0, 80);
}

function typeOf(value) {
  return value ? Object.keys(value)[0] : "";
}

/** A key value typed for its key attribute: "42" with type N -> {"N": "42"}. */
function keyValue(type, text) {
  return { [type || "S"]: text };
}

function keyNames(spec) {
  return [spec.partition_key.name, ...(spec.sort_key ? [spec.sort_key.name] : [])];
}

function keyOf(spec, item) {
  return Object.fromEntries(keyNames(spec).map((name) => [name, item[name]]));
}

/** The condition that the item is still as shown (see the module comment). */
function unchanged(spec, shown) {
  const names = {};
  const values = {};
  const parts = [];
  const attributes = spec.version_attribute ? [spec.version_attribute] : Object.keys(shown);
  attributes.forEach((name, i) => {
    names[`#a${i}`] = name;
    if (shown[name] === undefined) {
      parts.push(`attribute_not_exists(#a${i})`);
    } else {
      values[`:a${i}`] = shown[name];
      parts.push(`#a${i} = :a${i}`);
    }
  });
  names["#pk"] = spec.partition_key.name;
  parts.unshift("attribute_exists(#pk)");
  const condition = { ConditionExpression: parts.join(" AND "), ExpressionAttributeNames: names };
  if (Object.keys(values).length) condition.ExpressionAttributeValues = values;
  return condition;
}

function conflictMessage(spec, shown) {
  const version = spec.version_attribute && shown[spec.version_attribute];
  return `This item changed after you opened it${version ? ` (you saw version ${show(version)})` : ""}: nothing was written. Reload it to see the current item, then edit again.`;
}

export async function mount(container, [wanted]) {
  const { tables } = await api("/admin/tables");
  if (!tables.length) {
    fill(container, h("h1", {}, "Data"), emptyState("No tables yet.", "Declare a model in your app, or create a table through /dynamodb."));
    return null;
  }
  const spec = tables.find((t) => t.name === wanted) || tables[0];
  const nav = h("nav", { "aria-label": "Tables", class: "card" }, h("h2", {}, "Tables"),
    h("ul", { class: "plain" }, tables.map((t) => h("li", {},
      h("a", { href: `#/data/${encodeURIComponent(t.name)}`, "aria-current": t.name === spec.name ? "page" : null }, t.name),
      t.model ? h("span", { class: "muted" }, ` (${t.model})`) : ""))));
  const view = new TableView(spec);
  fill(container, h("h1", {}, "Data"), h("div", { class: "sidebar-split" }, nav, view.element));
  await view.run();
  return { stop: () => view.stop() };
}

class TableView {
  constructor(spec) {
    this.spec = spec;
    this.pages = [null]; // ExclusiveStartKey of each page seen
    this.messages = h("div", {});
    this.results = h("div", {});
    this.editor = h("div", {});
    this.feed = new Feed(spec);
    this.form = this.buildForm();
    this.element = h("div", {},
      this.describe(),
      this.form,
      this.messages,
      this.results,
      this.editor,
      this.feed.element);
  }

  describe() {
    const spec = this.spec;
    const key = (k) => (k ? `${k.name} (${k.type})` : "—");
    return h("section", { class: "card", id: "table-info" },
      h("h2", {}, spec.name, spec.model ? h("span", { class: "muted" }, ` model ${spec.model}`) : ""),
      h("dl", { class: "kv" },
        h("dt", {}, "partition key"), h("dd", {}, key(spec.partition_key)),
        h("dt", {}, "sort key"), h("dd", {}, key(spec.sort_key)),
        h("dt", {}, "indexes"), h("dd", {}, spec.indexes.length ? spec.indexes.map((i) => `${i.name}: ${key(i.partition_key)}${i.sort_key ? ` + ${key(i.sort_key)}` : ""}`).join("; ") : "none"),
        h("dt", {}, "writes check"), h("dd", {}, spec.version_attribute ? `the version attribute "${spec.version_attribute}"` : "every attribute shown"),
        spec.ttl_attribute ? [h("dt", {}, "expires by"), h("dd", {}, spec.ttl_attribute)] : null));
  }

  buildForm() {
    const spec = this.spec;
    this.mode = h("select", { name: "mode" }, h("option", { value: "query" }, "Query by key"), h("option", { value: "scan" }, "Scan with a filter"));
    this.index = h("select", { name: "index" }, h("option", { value: "" }, "table"), spec.indexes.map((i) => h("option", { value: i.name }, `index ${i.name}`)));
    this.pk = h("input", { type: "text", name: "pk", placeholder: "value" });
    this.skOp = h("select", { name: "sk-op" }, ["", "=", "<", "<=", ">", ">=", "begins_with", "between"].map((op) => h("option", { value: op }, op || "any sort key")));
    this.sk = h("input", { type: "text", name: "sk", placeholder: "value" });
    this.sk2 = h("input", { type: "text", name: "sk2", placeholder: "and", hidden: true });
    this.filterName = h("input", { type: "text", name: "filter-attribute", placeholder: "attribute" });
    this.filterOp = h("select", { name: "filter-op" }, ["=", "<>", "<", ">", "begins_with", "contains", "attribute_exists", "attribute_not_exists"].map((op) => h("option", { value: op }, op)));
    this.filterValue = h("input", { type: "text", name: "filter-value", placeholder: "value (a number is compared as N)" });
    const run = h("button", { type: "submit", class: "primary" }, "Run");
    const add = h("button", { type: "button" }, "New item");
    this.live = h("button", { type: "button", "aria-pressed": "false" }, "Live changes");
    add.addEventListener("click", () => this.openEditor(null));
    this.live.addEventListener("click", () => this.toggleLive());
    this.skOp.addEventListener("change", () => { this.sk2.hidden = this.skOp.value !== "between"; });
    this.index.addEventListener("change", () => this.labelKeys());
    this.pkLabel = h("span", {});
    this.skLabel = h("span", {});
    const queryRow = h("div", { class: "row query-only" },
      field("Use", this.index),
      field(this.pkLabel, this.pk),
      field(this.skLabel, this.skOp),
      field("Value", this.sk),
      this.sk2);
    const scanRow = h("div", { class: "row scan-only", hidden: true },
      field("Filter on", this.filterName), field("Is", this.filterOp), field("Value", this.filterValue));
    this.mode.addEventListener("change", () => {
      queryRow.hidden = this.mode.value !== "query";
      scanRow.hidden = this.mode.value !== "scan";
    });
    const form = h("form", { class: "card", "aria-label": "Find items" },
      h("div", { class: "row" }, field("Find", this.mode)),
      queryRow, scanRow,
      h("div", { class: "actions" }, run, add, this.live));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.pages = [null];
      act(run, this.messages, () => this.load(0));
    });
    this.labelKeys();
    return form;
  }

  keysInUse() {
    const index = this.spec.indexes.find((i) => i.name === this.index.value);
    return index ? { pk: index.partition_key, sk: index.sort_key } : { pk: this.spec.partition_key, sk: this.spec.sort_key };
  }

  labelKeys() {
    const { pk, sk } = this.keysInUse();
    this.pkLabel.textContent = `${pk.name} =`;
    this.skLabel.textContent = sk ? sk.name : "(no sort key)";
    this.skOp.disabled = !sk;
  }

  request() {
    const request = { TableName: this.spec.name, Limit: PAGE_SIZE };
    if (this.mode.value === "query") {
      const { pk, sk } = this.keysInUse();
      if (!this.pk.value) throw Object.assign(new Error(`Give the value of ${pk.name} to query (or scan the table).`), { code: "missing_key" });
      if (this.index.value) request.IndexName = this.index.value;
      const names = { "#pk": pk.name };
      const values = { ":pk": keyValue(pk.type, this.pk.value) };
      let condition = "#pk = :pk";
      const op = sk ? this.skOp.value : "";
      if (op) {
        names["#sk"] = sk.name;
        values[":sk"] = keyValue(sk.type, this.sk.value);
        if (op === "begins_with") condition += " AND begins_with(#sk, :sk)";
        else if (op === "between") {
          values[":sk2"] = keyValue(sk.type, this.sk2.value);
          condition += " AND #sk BETWEEN :sk AND :sk2";
        } else condition += ` AND #sk ${op} :sk`;
      }
      Object.assign(request, { KeyConditionExpression: condition, ExpressionAttributeNames: names, ExpressionAttributeValues: values });
    } else if (this.filterName.value) {
      const op = this.filterOp.value;
      request.ExpressionAttributeNames = { "#f": this.filterName.value };
      if (op.startsWith("attribute_")) {
        request.FilterExpression = `${op}(#f)`;
      } else {
        const text = this.filterValue.value;
        const value = text !== "" && !Number.isNaN(Number(text)) && ["=", "<>", "<", ">"].includes(op) ? { N: text } : { S: text };
        request.ExpressionAttributeValues = { ":v": value };
        request.FilterExpression = ["begins_with", "contains"].includes(op) ? `${op}(#f, :v)` : `#f ${op} :v`;
      }
    }
    return request;
  }

  async load(pageIndex) {
    const request = this.request();
    const start = this.pages[pageIndex];
    if (start) request.ExclusiveStartKey = start;
    const answer = await dynamodb(this.mode.value === "query" ? "Query" : "Scan", request);
    this.pages[pageIndex + 1] = answer.LastEvaluatedKey || null;
    this.showResults(answer.Items || [], pageIndex, Boolean(answer.LastEvaluatedKey));
  }

  async run() {
    // Open on the first page of a scan: a table is seen at once.
    this.mode.value = "scan";
    this.mode.dispatchEvent(new Event("change"));
    await act(null, this.messages, () => this.load(0));
  }

  showResults(items, pageIndex, more) {
    const keys = keyNames(this.spec);
    const others = [...new Set(items.flatMap((item) => Object.keys(item)))].filter((name) => !keys.includes(name)).slice(0, 6);
    const columns = [...keys, ...others].map((name) => [name, (item) => show(item[name])]);
    fill(this.results,
      items.length
        ? table(columns, items, { onOpen: (item) => this.openEditor(item), caption: `Page ${pageIndex + 1}: ${items.length} item${items.length === 1 ? "" : "s"}${more ? ", more after" : ""}. Open one to edit it.` })
        : emptyState(more ? "No match on this page." : "No items match.", more ? "The scan goes on: see the next page." : ""),
      pager(pageIndex, Boolean(more), (index) => this.load(index), this.messages));
  }

  openEditor(item, flash = null) {
    const spec = this.spec;
    const creating = item === null;
    const shown = item || Object.fromEntries(keyNames(spec).map((name, i) => [name, { [[spec.partition_key, spec.sort_key][i].type]: "" }]));
    const text = h("textarea", { class: "code", name: "item", "aria-label": "Item as DynamoDB JSON", spellcheck: "false" });
    text.value = json(shown);
    const messages = h("div", {}, flash ? notice(flash, "success") : null);
    const save = h("button", { type: "button", class: "primary" }, creating ? "Create" : "Save");
    const remove = creating ? null : h("button", { type: "button", class: "danger" }, "Delete");
    const reload = creating ? null : h("button", { type: "button" }, "Reload");
    const close = h("button", { type: "button" }, "Close");
    const types = Object.entries(shown).map(([name, value]) => `${name}: ${typeOf(value)}`).join(", ");
    fill(this.editor, h("section", { class: "card", id: "item-editor", "aria-label": creating ? "New item" : "Item" },
      h("h2", {}, creating ? "New item" : `Item ${keyNames(spec).map((k) => show(shown[k])).join(" / ")}`),
      h("p", { class: "types" }, "DynamoDB JSON: each value is {type: value} — S string, N number (as a string), BOOL, NULL, L list, M map, SS/NS/BS sets. ", creating ? "" : `Types here: ${types}.`),
      text, messages,
      h("div", { class: "actions" }, save, reload, remove, close)));
    if (!flash) text.focus();
    close.addEventListener("click", () => fill(this.editor));
    reload?.addEventListener("click", () => act(reload, messages, async () => {
      const answer = await dynamodb("GetItem", { TableName: spec.name, Key: keyOf(spec, shown), ConsistentRead: true });
      if (!answer.Item) {
        fill(messages, notice("This item no longer exists: it was deleted after you opened it.", "warning"));
        return;
      }
      this.openEditor(answer.Item);
    }));
    save.addEventListener("click", () => act(save, messages, async () => {
      const edited = parseJson(text.value, "The item");
      const changedKey = !creating && keyNames(spec).some((k) => JSON.stringify(edited[k]) !== JSON.stringify(shown[k]));
      if (changedKey) throw Object.assign(new Error("The key of an item cannot change: create a new item instead (and delete this one)."), { code: "key_changed" });
      const condition = creating
        ? { ConditionExpression: "attribute_not_exists(#pk)", ExpressionAttributeNames: { "#pk": spec.partition_key.name } }
        : unchanged(spec, shown);
      try {
        await dynamodb("PutItem", { TableName: spec.name, Item: edited, ...condition });
      } catch (error) {
        if (error.code === "ConditionalCheckFailedException") {
          error.message = creating ? "An item with this key already exists: nothing was written." : conflictMessage(spec, shown);
        }
        throw error;
      }
      const answer = await dynamodb("GetItem", { TableName: spec.name, Key: keyOf(spec, edited), ConsistentRead: true });
      this.openEditor(answer.Item || edited, creating ? "Created." : "Saved.");
      await this.load(Math.max(0, this.pages.length - 2)).catch(() => {});
    }));
    remove?.addEventListener("click", async () => {
      const sure = await confirmDialog("Delete this item?", `${keyNames(spec).map((k) => `${k} = ${show(shown[k])}`).join(", ")} will be deleted from ${spec.name}, unless it changed since you opened it.`, "Delete");
      if (!sure) return;
      await act(remove, messages, async () => {
        try {
          await dynamodb("DeleteItem", { TableName: spec.name, Key: keyOf(spec, shown), ...unchanged(spec, shown) });
        } catch (error) {
          if (error.code === "ConditionalCheckFailedException") error.message = conflictMessage(spec, shown);
          throw error;
        }
        fill(this.editor, notice("Deleted.", "success"));
        await this.load(0).catch(() => {});
      });
    });
  }

  toggleLive() {
    const on = this.live.getAttribute("aria-pressed") !== "true";
    this.live.setAttribute("aria-pressed", String(on));
    this.live.textContent = on ? "Stop live changes" : "Live changes";
    if (on) this.feed.start();
    else this.feed.stop();
  }

  stop() {
    this.feed.stop();
  }
}

/** The table's change feed, read through DynamoDB Streams from the latest record on. */
class Feed {
  constructor(spec) {
    this.spec = spec;
    this.records = [];
    this.list = h("div", { class: "feed" });
    this.status = h("p", { class: "muted" });
    this.element = h("section", { class: "card", id: "live-feed", hidden: true, "aria-label": "Live changes" },
      h("h2", {}, "Live changes"), this.status, this.list);
    this.running = false;
  }

  async start() {
    this.running = true;
    this.element.hidden = false;
    fill(this.status, "Connecting to the change feed…");
    try {
      const { Streams } = await streams("ListStreams", { TableName: this.spec.name });
      const arn = Streams[0].StreamArn;
      const { StreamDescription } = await streams("DescribeStream", { StreamArn: arn });
      const shard = StreamDescription.Shards[0].ShardId;
      let { ShardIterator: iterator } = await streams("GetShardIterator", { StreamArn: arn, ShardId: shard, ShardIteratorType: "LATEST" });
      fill(this.status, "Watching: every change to this table appears here as it commits, from any way in (GraphQL, functions, triggers, /dynamodb).");
      this.render();
      while (this.running && iterator) {
        const answer = await streams("GetRecords", { ShardIterator: iterator, Limit: 100 });
        iterator = answer.NextShardIterator;
        if (answer.Records.length) {
          this.records = [...answer.Records.reverse(), ...this.records].slice(0, FEED_KEEP);
          this.render();
        }
        await new Promise((resolve) => { this.timer = setTimeout(resolve, FEED_POLL_MS); });
      }
    } catch (error) {
      if (this.running) fill(this.status, errorBox(error));
      this.running = false;
    }
  }

  render() {
    fill(this.list, this.records.length
      ? table(
          [
            ["When", (r) => formatTime(r.dynamodb.ApproximateCreationDateTime)],
            ["Change", (r) => h("span", { class: "badge" }, r.eventName)],
            ["Key", (r) => Object.entries(r.dynamodb.Keys).map(([k, v]) => `${k}=${show(v)}`).join(", ")],
            ["New image", (r) => (r.dynamodb.NewImage ? JSON.stringify(r.dynamodb.NewImage).slice(0, 120) : "—")],
          ],
          this.records)
      : emptyState("No change yet.", "Make one (here, through GraphQL, or from a function) and it shows up within a second."));
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
    this.element.hidden = true;
  }
}
