// Imported first by the index/search commands: the LanceDB binding reads LANCEDB_LOG (not LANCE_LOG) for its Rust
// logger when it loads, so this must be set before src/plugins imports @lancedb/lancedb.
process.env.LANCEDB_LOG ??= 'error';
export {};
