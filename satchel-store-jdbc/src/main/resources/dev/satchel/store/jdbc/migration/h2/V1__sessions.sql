-- Sessions: the internal key (pk) is not the public id, so changing the id is one UPDATE and the
-- attribute rows never move. Times are epoch milliseconds; expires_at is the earlier of the idle
-- expiry and the absolute deadline, kept by every save so the sweep reads one index.
CREATE TABLE satchel_sessions (
    pk                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id        VARCHAR(43)  NOT NULL,
    created_at        BIGINT       NOT NULL,
    last_access       BIGINT       NOT NULL,
    max_inactive      BIGINT       NOT NULL,
    absolute_deadline BIGINT       NOT NULL,
    expires_at        BIGINT       NOT NULL,
    principal         VARCHAR(255),
    version           BIGINT       NOT NULL,
    CONSTRAINT satchel_sessions_session_id UNIQUE (session_id)
);
CREATE INDEX satchel_sessions_expires_at ON satchel_sessions (expires_at);
CREATE INDEX satchel_sessions_principal ON satchel_sessions (principal);

CREATE TABLE satchel_attributes (
    session_pk BIGINT       NOT NULL REFERENCES satchel_sessions (pk) ON DELETE CASCADE,
    name       VARCHAR(255) NOT NULL,
    attr_value VARBINARY    NOT NULL,
    PRIMARY KEY (session_pk, name)
);

-- One row: which node holds the sweep lease, and until when.
CREATE TABLE satchel_sweeper (
    id          INT         PRIMARY KEY,
    holder      VARCHAR(64) NOT NULL,
    lease_until BIGINT      NOT NULL
);
INSERT INTO satchel_sweeper (id, holder, lease_until) VALUES (1, '', 0);
