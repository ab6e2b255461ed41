"""Ordered schema upgrades; `PRAGMA user_version` holds how many have been applied."""

MIGRATIONS: list[str] = [
    # 1: runs, their event log and state, generated content, paid jobs.
    """
    CREATE TABLE runs (
        run_id        TEXT PRIMARY KEY,
        workflow_id   TEXT NOT NULL,
        workflow_dir  TEXT NOT NULL,
        status        TEXT NOT NULL,          -- running | waiting | error | completed
        state         TEXT NOT NULL,          -- JSON
        position      TEXT NOT NULL,          -- JSON: step, module, interaction_id, retry context
        branch        INTEGER NOT NULL DEFAULT 0,
        error         TEXT,
        created_at    REAL NOT NULL,
        updated_at    REAL NOT NULL
    );
    CREATE TABLE events (
        event_id      INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id        TEXT NOT NULL REFERENCES runs(run_id),
        type          TEXT NOT NULL,
        step_id       TEXT,
        module        TEXT,
        branch        INTEGER NOT NULL,
        data          TEXT NOT NULL,          -- JSON
        created_at    REAL NOT NULL
    );
    CREATE INDEX events_by_run ON events(run_id, event_id);
    CREATE TABLE content (
        content_id    TEXT PRIMARY KEY,
        run_id        TEXT NOT NULL REFERENCES runs(run_id),
        job_id        TEXT,
        interaction_id INTEGER,
        step_id       TEXT,
        module        TEXT,
        kind          TEXT NOT NULL,          -- image | video | audio | poster
        provider      TEXT NOT NULL,
        local_path    TEXT,
        url           TEXT,
        prompt_key    TEXT,
        metadata      TEXT NOT NULL,          -- JSON
        created_at    REAL NOT NULL
    );
    CREATE INDEX content_by_run ON content(run_id, step_id, module);
    CREATE TABLE jobs (
        job_id          TEXT PRIMARY KEY,
        run_id          TEXT NOT NULL REFERENCES runs(run_id),
        interaction_id  INTEGER,
        step_id         TEXT,
        module          TEXT,
        provider        TEXT NOT NULL,
        action          TEXT NOT NULL,
        prompt_key      TEXT,
        provider_job_id TEXT,
        request         TEXT NOT NULL,        -- JSON MediaRequest, never a key
        status          TEXT NOT NULL,        -- submitting | submitted | running | downloading | completed | failed | unknown
        progress        REAL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        error           TEXT,
        error_kind      TEXT,
        cost_amount     REAL,
        cost_unit       TEXT,
        created_at      REAL NOT NULL,
        updated_at      REAL NOT NULL,
        submitted_at    REAL,
        finished_at     REAL
    );
    CREATE INDEX jobs_by_status ON jobs(status);
    CREATE INDEX jobs_by_interaction ON jobs(run_id, interaction_id);
    """,
    # 2: the cost ledger: one row per paid call (an LLM request, or a generation job).
    """
    CREATE TABLE costs (
        cost_id       INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id        TEXT NOT NULL REFERENCES runs(run_id),
        step_id       TEXT,
        module        TEXT,
        provider      TEXT NOT NULL,
        kind          TEXT NOT NULL,          -- llm | image | video | music
        model         TEXT,
        units         REAL,
        unit          TEXT,                   -- tokens | image | second | credit
        unit_price    REAL,
        amount        REAL NOT NULL,
        currency      TEXT NOT NULL,          -- usd | credits
        source        TEXT NOT NULL,          -- provider (reported by the service) | prices (from the price list)
        job_id        TEXT UNIQUE,            -- a job's cost is one row, updated as the provider reports it
        detail        TEXT NOT NULL,          -- JSON: token counts, size, seconds...
        created_at    REAL NOT NULL
    );
    CREATE INDEX costs_by_run ON costs(run_id, cost_id);
    """,
]
MIGRATIONS.append(
    # 3: following accepted jobs through transient errors; one ledger row per accepted submit
    # (a resubmit is a second charge, tied to the same job); one driving process per run.
    """
    ALTER TABLE jobs ADD COLUMN retry_reason TEXT;
    ALTER TABLE jobs ADD COLUMN retry_at REAL;
    ALTER TABLE jobs ADD COLUMN submit_started_at REAL;
    CREATE TABLE costs_v3 (
        cost_id       INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id        TEXT NOT NULL REFERENCES runs(run_id),
        step_id       TEXT,
        module        TEXT,
        provider      TEXT NOT NULL,
        kind          TEXT NOT NULL,
        model         TEXT,
        units         REAL,
        unit          TEXT,
        unit_price    REAL,
        amount        REAL NOT NULL,
        currency      TEXT NOT NULL,
        source        TEXT NOT NULL,
        job_id        TEXT,
        provider_job_id TEXT NOT NULL DEFAULT '', -- which accepted submit of the job ('' before one is known)
        detail        TEXT NOT NULL,
        created_at    REAL NOT NULL,
        UNIQUE (job_id, provider_job_id)
    );
    INSERT INTO costs_v3(cost_id, run_id, step_id, module, provider, kind, model, units, unit, unit_price, amount,
                         currency, source, job_id, provider_job_id, detail, created_at)
        SELECT c.cost_id, c.run_id, c.step_id, c.module, c.provider, c.kind, c.model, c.units, c.unit, c.unit_price,
               c.amount, c.currency, c.source, c.job_id, COALESCE(j.provider_job_id, ''), c.detail, c.created_at
        FROM costs c LEFT JOIN jobs j ON j.job_id = c.job_id;
    DROP TABLE costs;
    ALTER TABLE costs_v3 RENAME TO costs;
    CREATE INDEX costs_by_run ON costs(run_id, cost_id);
    CREATE TABLE run_leases (
        run_id        TEXT PRIMARY KEY REFERENCES runs(run_id),
        holder        TEXT NOT NULL,          -- a random id per process
        pid           INTEGER NOT NULL,
        host          TEXT NOT NULL,
        acquired_at   REAL NOT NULL,
        heartbeat_at  REAL NOT NULL
    )
    """
)
MIGRATIONS.append(
    # 4: keyword memory across runs (the seed format's `io.weighted_keywords`), one row per
    # keyword of a workflow: how often it came up, and when last.
    """
    CREATE TABLE weighted_keywords (
        workflow_id   TEXT NOT NULL,
        keyword       TEXT NOT NULL,          -- lowercased and trimmed
        weight        REAL NOT NULL,
        fields        TEXT NOT NULL,          -- JSON: category, source, ... as last written
        last_used     REAL NOT NULL,
        PRIMARY KEY (workflow_id, keyword)
    )
    """
)
MIGRATIONS.append(
    # 5: files a run keeps for itself (the seed format's `io.save_json`, `io.write_text`,
    # `io.load_json`): every write is a row; a read takes the newest one that the run's branch
    # still sees (going back past the module that wrote a file hides it, as it does its state).
    """
    CREATE TABLE workflow_files (
        file_id       TEXT PRIMARY KEY,
        run_id        TEXT NOT NULL REFERENCES runs(run_id),
        branch        INTEGER NOT NULL,
        step_id       TEXT NOT NULL,          -- the module that wrote it
        module        TEXT NOT NULL,
        category      TEXT NOT NULL,          -- root | outputs
        group_id      TEXT NOT NULL,          -- '' or the target_path under outputs
        filename      TEXT NOT NULL,
        content_type  TEXT NOT NULL,          -- json | text
        content       TEXT NOT NULL,
        created_at    REAL NOT NULL
    );
    CREATE INDEX workflow_files_by_name ON workflow_files(run_id, category, group_id, filename)
    """
)
MIGRATIONS.append(
    # 6: the runs list, newest first, read from this index alone: the state column sits before
    # the listed ones in each row, and reading past it walks tens of kilobytes of overflow pages
    # per run.
    """
    CREATE INDEX runs_listed ON runs(updated_at DESC, run_id, workflow_id, workflow_dir, status, position)
    """
)
