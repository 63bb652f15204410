/// The ledger's tables on PostgreSQL: the SQLite ledger's, in one schema of a database, with
/// append-only enforced by the server itself.
///
/// Triggers refuse `UPDATE`, `DELETE` and `TRUNCATE` on the events, the tree and the
/// checkpoints, whoever asks; a role layout in README adds a writer that may only insert and a
/// reader that may only select. The tree's single state row is also the position counter:
/// each write transaction locks it first (`SELECT … FOR UPDATE`), so positions are handed out
/// in commit order with no gaps, which a sequence would not give.
enum PostgresSchema {
    /// The schema version this remedy writes; a ledger whose recorded version is higher was
    /// written by a newer remedy and is refused.
    static let version = 1

    /// The statements that create a ledger in the current schema (`search_path`).
    static func creation(origin: String, createdAt: String) -> [(sql: String, values: [PostgresValue])] {
        let plain: [String] = [
            """
            CREATE TABLE schema_migrations (
                version    integer PRIMARY KEY,
                name       text    NOT NULL,
                applied_at text    NOT NULL
            )
            """,
            """
            CREATE TABLE events (
                position       bigint PRIMARY KEY,
                event_id       text   NOT NULL UNIQUE,
                stream         text   COLLATE "C" NOT NULL,
                stream_version bigint NOT NULL,
                type           text   COLLATE "C" NOT NULL,
                recorded_at    text   COLLATE "C" NOT NULL,
                body           bytea  NOT NULL,
                leaf_hash      bytea  NOT NULL,
                UNIQUE (stream, stream_version)
            )
            """,
            "CREATE INDEX events_by_type ON events (type, position)",
            "CREATE TABLE tree_heads (size bigint PRIMARY KEY, root bytea NOT NULL, recorded_at text NOT NULL)",
            """
            CREATE TABLE tree_state (
                id      integer PRIMARY KEY CHECK (id = 1),
                size    bigint  NOT NULL,
                range   bytea   NOT NULL,
                streams bigint  NOT NULL
            )
            """,
            "INSERT INTO tree_state (id, size, range, streams) VALUES (1, 0, ''::bytea, 0)",
            "CREATE TABLE tree_nodes (height integer NOT NULL, idx bigint NOT NULL, hash bytea NOT NULL, PRIMARY KEY (height, idx))",
            "CREATE TABLE ledger_identity (id integer PRIMARY KEY CHECK (id = 1), origin text NOT NULL, created_at text NOT NULL)",
            "CREATE TABLE checkpoints (size bigint PRIMARY KEY, note bytea NOT NULL, recorded_at text NOT NULL)",
            "CREATE TABLE projection_checkpoints (name text PRIMARY KEY, version integer NOT NULL, position bigint NOT NULL)",
            """
            CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'remedy ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
            END $$
            """,
            """
            CREATE FUNCTION tree_state_only_grows() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.size < OLD.size OR NEW.id <> OLD.id THEN
                    RAISE EXCEPTION 'remedy ledger is append-only: the tree cannot shrink';
                END IF;
                RETURN NEW;
            END $$
            """,
            "CREATE TRIGGER tree_state_only_grows BEFORE UPDATE ON tree_state FOR EACH ROW EXECUTE FUNCTION tree_state_only_grows()",
            "CREATE TRIGGER tree_state_is_kept BEFORE DELETE ON tree_state FOR EACH ROW EXECUTE FUNCTION refuse_change()",
            "CREATE TRIGGER tree_state_is_kept_truncate BEFORE TRUNCATE ON tree_state FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        ]
        var statements = plain.map { (sql: $0, values: [PostgresValue]()) }
        for table in appendOnlyTables {
            statements.append(("CREATE TRIGGER \(table)_append_only BEFORE UPDATE OR DELETE ON \(table) FOR EACH ROW EXECUTE FUNCTION refuse_change()", []))
            statements.append(("CREATE TRIGGER \(table)_append_only_truncate BEFORE TRUNCATE ON \(table) FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()", []))
        }
        statements.append(("INSERT INTO ledger_identity (id, origin, created_at) VALUES (1, $1, $2)", [.text(origin), .text(createdAt)]))
        statements.append(("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                           [.int(version), .text("events, tree, identity, checkpoints and projections, append-only"), .text(createdAt)]))
        return statements
    }

    /// The tables no one may change or empty once written.
    static let appendOnlyTables = ["events", "tree_heads", "tree_nodes", "ledger_identity", "checkpoints"]
}
