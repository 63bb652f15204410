#ifndef REMEDY_CSQLITE_SHIM_H
#define REMEDY_CSQLITE_SHIM_H
#include <sqlite3.h>

/// sqlite3_db_config is variadic, which Swift cannot call: one wrapper per option used.
/// Leaves the WAL to the automatic checkpoints of later commits instead of checkpointing
/// (and fsyncing the database) whenever a process closes the last connection.
static inline int remedy_sqlite3_no_checkpoint_on_close(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}

#endif
