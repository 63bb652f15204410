/// The ledger's schema: numbered migrations, each recorded in the file when applied.
///
/// A migration is never edited once released; a change is a new migration. A file whose
/// highest recorded migration is above ``latestVersion`` was written by a newer remedy and is
/// refused rather than misread.
enum LedgerSchema {
    /// SQLite's `application_id` header field for remedy ledgers: "REMD".
    /// See <https://www.sqlite.org/pragma.html#pragma_application_id>.
    static let applicationID = 0x5245_4D44

    /// The migrations, in order; a migration's version is its index + 1.
    static let migrations: [(name: String, sql: String)] = [
        ("create events, tree heads and append-only triggers", """
        -- ON CONFLICT FAIL throughout: a failed insert has written nothing (constraints are
        -- checked before the row), and without any ABORT clause SQLite keeps no statement
        -- journal of every insert's pages, which the append-only triggers would otherwise
        -- force (it halved bulk appends). The append transaction rolls back on any error.
        CREATE TABLE events (
            position       INTEGER PRIMARY KEY ON CONFLICT FAIL,
            event_id       TEXT    NOT NULL ON CONFLICT FAIL UNIQUE ON CONFLICT FAIL,
            stream         TEXT    NOT NULL ON CONFLICT FAIL,
            stream_version INTEGER NOT NULL ON CONFLICT FAIL,
            type           TEXT    NOT NULL ON CONFLICT FAIL,
            recorded_at    TEXT    NOT NULL ON CONFLICT FAIL,
            body           BLOB    NOT NULL ON CONFLICT FAIL,
            leaf_hash      BLOB    NOT NULL ON CONFLICT FAIL,
            UNIQUE (stream, stream_version) ON CONFLICT FAIL
        ) STRICT;

        -- The root after every commit: appended with the events, never changed.
        CREATE TABLE tree_heads (
            size        INTEGER PRIMARY KEY,
            root        BLOB    NOT NULL,
            recorded_at TEXT    NOT NULL
        ) STRICT;

        -- The compact range after the last commit, so the next append goes on from it.
        -- A cache of what the events determine; `remedy verify` recomputes and checks it.
        CREATE TABLE tree_state (
            id    INTEGER PRIMARY KEY CHECK (id = 1),
            size  INTEGER NOT NULL,
            range BLOB    NOT NULL
        ) STRICT;
        INSERT INTO tree_state (id, size, range) VALUES (1, 0, x'');

        CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'remedy ledger is append-only: events cannot be updated'); END;
        CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'remedy ledger is append-only: events cannot be deleted'); END;
        -- REPLACE deletes a conflicting row without firing the delete trigger (SQLite fires
        -- delete triggers for REPLACE only with recursive_triggers on). Inserts must go at the
        -- tail, so no REPLACE can overwrite a position; one that collides on an id or a stream
        -- version still removes that older row, which leaves a gap `remedy verify` names.
        -- FAIL, not ABORT, for the reason above: the trigger runs before the row is written.
        CREATE TRIGGER events_are_append_only_replace BEFORE INSERT ON events
        WHEN NEW.position <= (SELECT max(position) FROM events)
        BEGIN SELECT RAISE(FAIL, 'remedy ledger is append-only: events go at the end'); END;
        CREATE TRIGGER tree_heads_are_append_only_replace BEFORE INSERT ON tree_heads
        WHEN EXISTS (SELECT 1 FROM tree_heads WHERE size = NEW.size)
        BEGIN SELECT RAISE(ABORT, 'remedy ledger is append-only: tree heads cannot be replaced'); END;
        CREATE TRIGGER tree_state_only_grows BEFORE UPDATE ON tree_state
        WHEN NEW.size < OLD.size OR NEW.id != OLD.id
        BEGIN SELECT RAISE(ABORT, 'remedy ledger is append-only: the tree cannot shrink'); END;
        CREATE TRIGGER tree_state_is_kept BEFORE DELETE ON tree_state
        BEGIN SELECT RAISE(ABORT, 'remedy ledger is append-only: the tree state cannot be deleted'); END;
        CREATE TRIGGER tree_heads_are_append_only_update BEFORE UPDATE ON tree_heads
        BEGIN SELECT RAISE(ABORT, 'remedy ledger is append-only: tree heads cannot be updated'); END;
        CREATE TRIGGER tree_heads_are_append_only_delete BEFORE DELETE ON tree_heads
        BEGIN SELECT RAISE(ABORT, 'remedy ledger is append-only: tree heads cannot be deleted'); END;
        """),
        ("projection checkpoints", """
        -- Where each projection's tables stand: derived data, rebuilt at will, not audited.
        CREATE TABLE projection_checkpoints (
            name     TEXT    PRIMARY KEY,
            version  INTEGER NOT NULL,
            position INTEGER NOT NULL
        ) STRICT;
        """),
        ("index events by type", """
        -- For reading the few events of some types among a million (the loop's decisions read
        -- every event but case outcomes). Queries use it only when they ask to: the planner,
        -- without statistics, would also take it for the dominant type and then sort.
        CREATE INDEX events_by_type ON events (type, position);
        """),
    ]

    static var latestVersion: Int { migrations.count }

    /// Creates the migrations table itself; idempotent.
    static let bootstrap = """
    CREATE TABLE IF NOT EXISTS schema_migrations (
        version    INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        applied_at TEXT NOT NULL
    ) STRICT;
    """
}
