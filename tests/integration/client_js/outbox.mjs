// The dev outbox (<BAAS_DATA_DIR>/outbox/*.eml) read from Node: the code in the newest
// mail to an address whose subject has a word, waiting for it to be written.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

function decode(body, encoding) {
  if (/base64/i.test(encoding)) return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (/quoted-printable/i.test(encoding)) {
    return body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
  }
  return body;
}

/** The plain-text parts of a raw mail, decoded (crude MIME: enough for baas's mails). */
function plainParts(raw) {
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(raw)?.[1];
  const chunks = boundary ? raw.split(`--${boundary}`) : [raw];
  const texts = [];
  for (const chunk of chunks) {
    const split = chunk.search(/\r?\n\r?\n/);
    if (split < 0) continue;
    const headers = chunk.slice(0, split);
    if (!/content-type:\s*text\/plain/i.test(headers) && boundary) continue;
    const encoding = /content-transfer-encoding:\s*(\S+)/i.exec(headers)?.[1] ?? "";
    texts.push(decode(chunk.slice(split).trim(), encoding));
  }
  return texts;
}

export async function codeFor(outbox, address, subjectWord, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let names = [];
    try {
      names = readdirSync(outbox).filter((n) => n.endsWith(".eml")).sort().reverse();
    } catch {
      // the outbox is made with the first mail
    }
    for (const name of names) {
      const raw = readFileSync(join(outbox, name), "utf8");
      const to = /^To: (.*)$/im.exec(raw)?.[1]?.trim();
      const subject = /^Subject: (.*)$/im.exec(raw)?.[1] ?? "";
      if (to !== address || !subject.toLowerCase().includes(subjectWord)) continue;
      for (const text of plainParts(raw)) {
        const code = /\b(\d{8})\b/.exec(text)?.[1];
        if (code) return code;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no ${subjectWord} mail to ${address} in ${outbox}`);
}
