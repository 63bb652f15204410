import Events

/// The ledger's schema: numbered migrations, each recorded in the file when applied.
///
/// A migration is never edited once released; a change is a new migration. A file whose
/// highest recorded migration is above ``latestVersion`` was written by a newer remedy and is
/// refused rather than misread.
enum LedgerSchema {
    /// SQLite's `application_id` header field for remedy ledgers: "REMD".
    /// See <https://www.sqlite.org/pragma.html#pragma_application_id>.
    static let applicationID = 0x5245_4D44

    /// One schema change: its SQL, and for changes that derive data from what the file holds
    /// already, a step that fills it in (run in the same transaction).
    struct Migration: Sendable {
        var name: String
        var sql: String
        var backfill: (@Sendable (SQLiteConnection, MigrationContext) throws -> Void)? = nil
    }

    /// What a backfill may need to know about the ledger being opened.
    struct MigrationContext {
        /// The origin a new ledger is given (`remedy init --origin`); nil for a generated one.
        var origin: String?
    }

    /// The migrations, in order; a migration's version is its index + 1.
    static let migrations: [Migration] = [
        Migration(name: "create events, tree heads and append-only triggers", sql: """
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
        Migration(name: "projection checkpoints", sql: """
        -- Where each projection's tables stand: derived data, rebuilt at will, not audited.
        CREATE TABLE projection_checkpoints (
            name     TEXT    PRIMARY KEY,
            version  INTEGER NOT NULL,
            position INTEGER NOT NULL
        ) STRICT;
        """),
        Migration(name: "index events by type", sql: """
        -- For reading the few events of some types among a million (the loop's decisions read
        -- every event but case outcomes). Queries use it only when they ask to: the planner,
        -- without statistics, would also take it for the dominant type and then sort.
        CREATE INDEX events_by_type ON events (type, position);
        """),
        Migration(name: "ledger identity, stored tree nodes and signed checkpoints", sql: """
        -- The ledger's permanent name: the origin line of every checkpoint it signs.
        CREATE TABLE ledger_identity (
            id         INTEGER PRIMARY KEY CHECK (id = 1),
            origin     TEXT    NOT NULL,
            created_at TEXT    NOT NULL
        ) STRICT;
        CREATE TRIGGER ledger_identity_is_permanent_update BEFORE UPDATE ON ledger_identity
        BEGIN SELECT RAISE(ABORT, 'remedy ledger identity is permanent: the origin cannot change'); END;
        CREATE TRIGGER ledger_identity_is_permanent_delete BEFORE DELETE ON ledger_identity
        BEGIN SELECT RAISE(ABORT, 'remedy ledger identity is permanent: the origin cannot be removed'); END;
        -- REPLACE skips delete triggers (see the events table): refuse the insert instead.
        CREATE TRIGGER ledger_identity_is_permanent_replace BEFORE INSERT ON ledger_identity
        WHEN EXISTS (SELECT 1 FROM ledger_identity)
        BEGIN SELECT RAISE(ABORT, 'remedy ledger identity is permanent: the origin cannot change'); END;

        -- The roots of the tree's perfect subtrees of height 8, 16, 24, ... (256, 65,536, ...
        -- leaves), written in the append that completes them: with the leaf hashes, any
        -- subtree's hash, and so any proof, takes a few short reads instead of a scan.
        CREATE TABLE tree_nodes (
            height INTEGER NOT NULL,
            idx    INTEGER NOT NULL,
            hash   BLOB    NOT NULL,
            PRIMARY KEY (height, idx)
        ) STRICT, WITHOUT ROWID;
        CREATE TRIGGER tree_nodes_are_append_only_update BEFORE UPDATE ON tree_nodes
        BEGIN SELECT RAISE(ABORT, 'remedy ledger is append-only: tree nodes cannot be updated'); END;
        CREATE TRIGGER tree_nodes_are_append_only_delete BEFORE DELETE ON tree_nodes
        BEGIN SELECT RAISE(ABORT, 'remedy ledger is append-only: tree nodes cannot be deleted'); END;
        CREATE TRIGGER tree_nodes_are_append_only_replace BEFORE INSERT ON tree_nodes
        WHEN EXISTS (SELECT 1 FROM tree_nodes WHERE height = NEW.height AND idx = NEW.idx)
        BEGIN SELECT RAISE(ABORT, 'remedy ledger is append-only: tree nodes cannot be replaced'); END;

        -- Signed checkpoints (C2SP tlog-checkpoint in a signed note), the exact bytes signed.
        CREATE TABLE checkpoints (
            size        INTEGER PRIMARY KEY,
            note        BLOB    NOT NULL,
            recorded_at TEXT    NOT NULL
        ) STRICT;
        CREATE TRIGGER checkpoints_are_append_only_update BEFORE UPDATE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'remedy ledger is append-only: checkpoints cannot be updated'); END;
        CREATE TRIGGER checkpoints_are_append_only_delete BEFORE DELETE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'remedy ledger is append-only: checkpoints cannot be deleted'); END;
        CREATE TRIGGER checkpoints_are_append_only_replace BEFORE INSERT ON checkpoints
        WHEN EXISTS (SELECT 1 FROM checkpoints WHERE size = NEW.size)
        BEGIN SELECT RAISE(ABORT, 'remedy ledger is append-only: checkpoints cannot be replaced'); END;
        """, backfill: { connection, context in
            let identity = try connection.prepare("INSERT INTO ledger_identity (id, origin, created_at) VALUES (1, ?, ?)")
            identity.bind(context.origin ?? LedgerOrigin.generate(), at: 1)
            identity.bind(Timestamp.now().description, at: 2)
            try identity.run()
            try TreeNodes.backfill(connection)
        }),
        Migration(name: "count streams as they start", sql: """
        -- How many streams the events name, kept by the appends that start one (stream version
        -- 1), so `remedy status` reads a number instead of scanning the stream index. Like the
        -- rest of tree_state, a cache of what the events determine, which `remedy verify` checks.
        ALTER TABLE tree_state ADD COLUMN streams INTEGER NOT NULL DEFAULT 0;
        UPDATE tree_state SET streams = (SELECT count(*) FROM events WHERE stream_version = 1) WHERE id = 1;
        """),
        Migration(name: "read-model snapshots", sql: """
        -- The read models' tables as they stood every N events (ReadModelSnapshot), so time
        -- travel folds from the nearest one. Like the read models, derived from the events and
        -- rebuilt with them.
        CREATE TABLE projection_snapshots (
            name     TEXT    NOT NULL,
            version  INTEGER NOT NULL,
            position INTEGER NOT NULL,
            rows     BLOB    NOT NULL,
            PRIMARY KEY (name, position)
        ) STRICT;
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
