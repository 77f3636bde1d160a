package dev.satchel.bench.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.store.jdbc.JdbcSessionStore;
import dev.satchel.store.redis.RedisSessionStore;
import dev.satchel.testkit.LocalPostgresServer;
import dev.satchel.testkit.LocalRedisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every store in the store benchmark does the same work: a fair race needs the same course. */
class ContendersIT {
    static LocalRedisServer redis;
    static LocalPostgresServer postgres;

    @BeforeAll
    static void startServers() throws Exception {
        Path work = Files.createDirectories(Path.of("target", "contenders-it").toAbsolutePath());
        redis = LocalRedisServer.start(work.resolve("redis"));
        postgres = LocalPostgresServer.start(work.resolve("postgres"));
    }

    @AfterAll
    static void stopServers() {
        if (redis != null) {
            redis.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void everyContender_createsChangesAndReadsTheSameSession() throws Exception {
        try (Connection c = postgres.connect();
                Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA spring");
            s.execute("SET search_path TO spring");
            s.execute(new String(getClass()
                    .getClassLoader()
                    .getResourceAsStream("org/springframework/session/jdbc/schema-postgresql.sql")
                    .readAllBytes()));
        }
        List<Contender> contenders = List.of(
                Contender.satchel(
                        "satchel-redis",
                        "redis",
                        RedisSessionStore.builder(redis.uri()).build()),
                Contender.satchel(
                        "satchel-near",
                        "redis",
                        RedisSessionStore.builder(redis.uri()).nearCache(100).build()),
                Contender.springRedis(redis.port()),
                Contender.springRedisIndexed(redis.port()),
                Contender.satchel(
                        "satchel-sql",
                        "postgresql",
                        JdbcSessionStore.builder(postgres.jdbcUrl())
                                .sweepInBackground(false)
                                .build()),
                Contender.springJdbc(postgres.jdbcUrl() + "&currentSchema=spring", 2));
        for (Contender c : contenders) {
            try (c) {
                String id = c.create(1);
                assertThat(c.read(id, "attr9")).as(c.name()).contains(Contender.value(9, 1));
                c.loadChangeSave(id, 2);
                c.loadOnly(id);
                assertThat(c.read(id, "attr0")).as(c.name()).contains(Contender.value(0, 2));
                assertThat(c.read(id, "attr1")).as(c.name()).contains(Contender.value(1, 1));
            }
        }
    }
}
