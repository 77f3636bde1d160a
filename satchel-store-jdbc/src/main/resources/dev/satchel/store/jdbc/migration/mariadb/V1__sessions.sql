-- Sessions: the internal key (pk) is not the public id, so changing the id is one UPDATE and the
-- attribute rows never move. Times are epoch milliseconds; expires_at is the earlier of the idle
-- expiry and the absolute deadline, kept by every save so the sweep reads one index.
-- Ids and names compare byte for byte: session ids are case-sensitive base64url.
CREATE TABLE satchel_sessions (
    pk                BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    session_id        VARCHAR(43)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_at        BIGINT       NOT NULL,
    last_access       BIGINT       NOT NULL,
    max_inactive      BIGINT       NOT NULL,
    absolute_deadline BIGINT       NOT NULL,
    expires_at        BIGINT       NOT NULL,
    principal         VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    version           BIGINT       NOT NULL,
    CONSTRAINT satchel_sessions_session_id UNIQUE (session_id),
    INDEX satchel_sessions_expires_at (expires_at),
    INDEX satchel_sessions_principal (principal)
) ENGINE = InnoDB;

CREATE TABLE satchel_attributes (
    session_pk BIGINT       NOT NULL,
    name       VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    attr_value LONGBLOB     NOT NULL,
    PRIMARY KEY (session_pk, name),
    CONSTRAINT satchel_attributes_session FOREIGN KEY (session_pk)
        REFERENCES satchel_sessions (pk) ON DELETE CASCADE
) ENGINE = InnoDB;

-- One row: which node holds the sweep lease, and until when.
CREATE TABLE satchel_sweeper (
    id          INT         NOT NULL PRIMARY KEY,
    holder      VARCHAR(64) NOT NULL,
    lease_until BIGINT      NOT NULL
) ENGINE = InnoDB;
INSERT INTO satchel_sweeper (id, holder, lease_until) VALUES (1, '', 0);
