// The one file that imports the `lmdb` client library; LMDB-backed stores (actor state, catalog, event log)
// open their environments through here.
export { open } from "lmdb";
export type { Database, RootDatabase, RootDatabaseOptions, DatabaseOptions } from "lmdb";
