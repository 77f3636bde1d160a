package dev.satchel.bench.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.codec.DefaultAttributeCodec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.RedisTemplate;
import org.springframework.data.redis.serializer.RedisSerializer;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.session.Session;
import org.springframework.session.SessionRepository;
import org.springframework.session.data.redis.RedisIndexedSessionRepository;
import org.springframework.session.data.redis.RedisSessionRepository;
import org.springframework.session.jdbc.JdbcIndexedSessionRepository;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * One session store under test, doing what a web request does to its session: create it with ten
 * attributes, and later load it, read one attribute, change it, and save.
 */
interface Contender extends AutoCloseable {

    /** Attributes per session, each a string of about 40 characters. */
    int ATTRIBUTES = 10;

    Duration IDLE = Duration.ofMinutes(30);

    /** The name in reports. */
    String name();

    /** Which server it talks to: {@code redis} or {@code postgresql}. */
    String server();

    /** Creates a session with {@link #ATTRIBUTES} attributes and returns its id. */
    String create(int seed);

    /** Loads the session, reads {@code attr0}, sets it to a new value, and saves. */
    void loadChangeSave(String id, int seed);

    /**
     * A request that only reads: loads the session and reads {@code attr0}, then does what the
     * store's own filter would do at the end of such a request (Satchel: nothing inside the touch
     * window; Spring: save the new last-access time, as its SessionRepositoryFilter does).
     */
    void loadOnly(String id);

    /** The value of one attribute, read back through the store; empty if the session or it is gone. */
    java.util.Optional<String> read(String id, String attribute);

    @Override
    void close();

    static String value(int attribute, int seed) {
        return "item-" + attribute + "-" + seed + "-0123456789abcdefghijklmnopqrstuv";
    }

    /** A Satchel store: change sets, encoded by the default codec as the servlet filter does. */
    static Contender satchel(String name, String server, SessionStore store) {
        DefaultAttributeCodec codec = DefaultAttributeCodec.defaults();
        return new Contender() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String server() {
                return server;
            }

            @Override
            public String create(int seed) {
                SessionId id = SessionId.random();
                Instant now = Instant.now();
                ChangeSet.Builder b = ChangeSet.builder(id, now, now.plus(Duration.ofHours(8)))
                        .created()
                        .accessedAt(now)
                        .maxInactiveInterval(IDLE);
                for (int i = 0; i < ATTRIBUTES; i++) {
                    b.set("attr" + i, codec.encode("attr" + i, value(i, seed)));
                }
                store.save(b.build());
                return id.value();
            }

            @Override
            public void loadChangeSave(String idText, int seed) {
                SessionId id = SessionId.parse(idText).orElseThrow();
                SessionRecord r = store.load(id).orElseThrow(() -> new IllegalStateException("session lost"));
                if (r.decode("attr0", codec).isEmpty()) {
                    throw new IllegalStateException("attribute lost");
                }
                store.save(ChangeSet.builder(id, r.createdAt(), r.absoluteDeadline())
                        .accessedAt(Instant.now())
                        .set("attr0", codec.encode("attr0", value(0, seed)))
                        .build());
            }

            @Override
            public void loadOnly(String idText) {
                SessionRecord r = store.load(SessionId.parse(idText).orElseThrow())
                        .orElseThrow(() -> new IllegalStateException("session lost"));
                if (r.decode("attr0", codec).isEmpty()) {
                    throw new IllegalStateException("attribute lost");
                }
            }

            @Override
            public java.util.Optional<String> read(String idText, String attribute) {
                return store.load(SessionId.parse(idText).orElseThrow())
                        .flatMap(r -> r.decode(attribute, codec))
                        .map(String::valueOf);
            }

            @Override
            public void close() {
                store.close();
            }
        };
    }

    /** A Spring Session repository, used the way Spring's SessionRepositoryFilter uses it. */
    static <S extends Session> Contender spring(
            String name, String server, SessionRepository<S> repository, AutoCloseable resources) {
        return new Contender() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String server() {
                return server;
            }

            @Override
            public String create(int seed) {
                S session = repository.createSession();
                for (int i = 0; i < ATTRIBUTES; i++) {
                    session.setAttribute("attr" + i, value(i, seed));
                }
                repository.save(session);
                return session.getId();
            }

            @Override
            public void loadChangeSave(String id, int seed) {
                S session = repository.findById(id);
                if (session == null || session.getAttribute("attr0") == null) {
                    throw new IllegalStateException("session lost");
                }
                session.setLastAccessedTime(Instant.now());
                session.setAttribute("attr0", value(0, seed));
                repository.save(session);
            }

            @Override
            public void loadOnly(String id) {
                S session = repository.findById(id);
                if (session == null || session.getAttribute("attr0") == null) {
                    throw new IllegalStateException("session lost");
                }
                session.setLastAccessedTime(Instant.now());
                repository.save(session);
            }

            @Override
            public java.util.Optional<String> read(String id, String attribute) {
                S session = repository.findById(id);
                return session == null
                        ? java.util.Optional.empty()
                        : java.util.Optional.ofNullable(session.getAttribute(attribute))
                                .map(String::valueOf);
            }

            @Override
            public void close() {
                try {
                    resources.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    }

    /** Spring Data Redis wired as Spring Session's configuration wires it: string keys, JDK values. */
    static RedisTemplate<String, Object> springRedisTemplate(int port, List<AutoCloseable> toClose) {
        LettuceConnectionFactory factory =
                new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", port));
        factory.afterPropertiesSet();
        factory.start();
        toClose.add(factory::destroy);
        RedisTemplate<String, Object> template = new RedisTemplate<>();
        template.setConnectionFactory(factory);
        template.setKeySerializer(RedisSerializer.string());
        template.setHashKeySerializer(RedisSerializer.string());
        template.afterPropertiesSet();
        return template;
    }

    static Contender springRedis(int port) {
        List<AutoCloseable> resources = new ArrayList<>();
        RedisSessionRepository repository = new RedisSessionRepository(springRedisTemplate(port, resources));
        repository.setDefaultMaxInactiveInterval(IDLE);
        repository.setRedisKeyNamespace("spring:session:bench");
        return spring("Spring RedisSessionRepository", "redis", repository, () -> closeAll(resources));
    }

    static Contender springRedisIndexed(int port) {
        List<AutoCloseable> resources = new ArrayList<>();
        RedisIndexedSessionRepository repository =
                new RedisIndexedSessionRepository(springRedisTemplate(port, resources));
        repository.setDefaultMaxInactiveInterval(IDLE);
        repository.setRedisKeyNamespace("spring:session:bench-indexed");
        repository.afterPropertiesSet();
        resources.add(0, repository::destroy);
        return spring("Spring RedisIndexedSessionRepository", "redis", repository, () -> closeAll(resources));
    }

    static Contender springJdbc(String jdbcUrl, int poolSize) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setMaximumPoolSize(poolSize);
        HikariDataSource pool = new HikariDataSource(config);
        JdbcIndexedSessionRepository repository = new JdbcIndexedSessionRepository(
                new JdbcTemplate(pool), new TransactionTemplate(new DataSourceTransactionManager(pool)));
        repository.setDefaultMaxInactiveInterval(IDLE);
        repository.afterPropertiesSet();
        return spring("Spring JdbcIndexedSessionRepository", "postgresql", repository, () -> {
            repository.destroy();
            pool.close();
        });
    }

    private static void closeAll(List<AutoCloseable> resources) throws Exception {
        for (AutoCloseable r : resources) {
            r.close();
        }
    }
}
