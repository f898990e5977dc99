/**
 * A small record every tab of an origin reads and writes consistently: IndexedDB, whose
 * transactions the browser serialises across tabs. (localStorage is not enough: Chromium
 * hands another tab's write to a tab asynchronously, so a tab that takes the refresh lock
 * right after another let it go may still read the old value there.)
 */

export interface BoardRecord<T> {
  generation: string;
  value: T | null;
}

export class SharedBoard<T> {
  private readonly db: Promise<IDBDatabase | null>;

  constructor(
    private readonly key: string,
    enabled: boolean,
  ) {
    this.db = enabled ? openDatabase() : Promise.resolve(null);
  }

  /** Whether there is a board at all (IndexedDB may be missing: Node, some sandboxes). */
  async available(): Promise<boolean> {
    return (await this.db) !== null;
  }

  async read(): Promise<BoardRecord<T> | null> {
    const db = await this.db;
    if (!db) return null;
    return new Promise((resolve, reject) => {
      const request = db.transaction("board", "readonly").objectStore("board").get(this.key);
      request.onsuccess = () => resolve((request.result as BoardRecord<T> | undefined) ?? null);
      request.onerror = () => reject(request.error);
    });
  }

  /** Write the record; resolves once the transaction has committed. */
  async write(record: BoardRecord<T>): Promise<void> {
    const db = await this.db;
    if (!db) return;
    await new Promise<void>((resolve, reject) => {
      const transaction = db.transaction("board", "readwrite");
      transaction.objectStore("board").put(record, this.key);
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  }
}

function openDatabase(): Promise<IDBDatabase | null> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) return Promise.resolve(null);
  return new Promise((resolve) => {
    let request: IDBOpenDBRequest;
    try {
      request = idb.open("baas-client", 1);
    } catch {
      resolve(null); // storage refused (a sandboxed frame)
      return;
    }
    request.onupgradeneeded = () => request.result.createObjectStore("board");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => resolve(null);
    request.onblocked = () => resolve(null);
  });
}
